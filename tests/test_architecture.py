"""The layers of docs/architecture.md hold, and the check notices when they do not."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """import-linter's layers contract (pyproject.toml) on the package under `tree`/src."""
    return subprocess.run(  # noqa: S603 - our own tool on our own files
        [str(LINT_IMPORTS), "--no-cache", str(tree / "pyproject.toml")],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree / "src")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT / "src",
        tree / "src",
        ignore=shutil.ignore_patterns("__pycache__", "locale", "static", "templates"),
    )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_layers_contract_is_kept() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("core/money.py", "forening.billing.models"),  # the kernel importing an app
        ("billing/services/issuing.py", "forening.payments.models"),  # invoicing importing payments
        ("members/models.py", "forening.ledger.models"),  # one independent sibling another
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path: Path, module: str, upward: str) -> None:
    tree = _copy(tmp_path)
    target = tree / "src" / "forening" / module
    target.write_text(target.read_text() + f"\nimport {upward}  # noqa\n")

    result = _lint(tree)

    assert result.returncode != 0
    importer = "forening." + module.removesuffix(".py").replace("/", ".")
    assert "BROKEN" in result.stdout
    assert f"{importer} -> {upward}" in result.stdout, result.stdout


def test_no_module_is_over_800_lines() -> None:
    """A module a reader can hold in their head: past 800 lines it is split along its seams
    (docs/architecture.md)."""
    long = {
        str(path.relative_to(ROOT)): count
        for path in (ROOT / "src").rglob("*.py")
        if (count := len(path.read_text().splitlines())) > 800
    }
    assert long == {}
