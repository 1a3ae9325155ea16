#!/usr/bin/env python
"""Same as the `forening` command, for those who expect manage.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from forening.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
