"""Hypothesis profiles: `ci` runs the full number of examples, `dev` a tenth of it.

tests/conftest.py registers both and loads the one named by HYPOTHESIS_PROFILE (`dev` unless
set; `.ci/run` sets `ci`). A plain `@given` test takes `max_examples` from the profile. A test
that needs another figure states its CI figure through `examples()`, never as a bare
`max_examples=`, which would override the profile.
"""

from __future__ import annotations

import math

from hypothesis import settings

CI_MAX_EXAMPLES = 100  # Hypothesis's own default: what every run used before the profiles
DEV_MAX_EXAMPLES = 10


def examples(ci: int) -> int:
    """`ci` examples under the `ci` profile, scaled like the loaded profile's `max_examples`
    elsewhere (a tenth under `dev`, at least one)."""
    return max(1, math.ceil(ci * settings.default.max_examples / CI_MAX_EXAMPLES))
