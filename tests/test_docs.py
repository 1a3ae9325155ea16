"""The project's own docs stay true: every capability id the code cites is in
docs/capabilities.md, every module the docs name exists, the layers in
docs/architecture.md are the ones import-linter checks, and nothing cites a document that
is not in the repository."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CAPABILITY = re.compile(r"\b([A-Z]{2,6})-(\d{2})\b")
RANGE = re.compile(r"\b([A-Z]{2,6})-(\d{2}) … \1-(\d{2})\b")
# Documents of the team's shared folder, outside this repository: a reader cannot follow them.
OUTSIDE = re.compile(
    r"MISSION\.md|NORDIC-FORMATS|PROTOCOLS\.md|STYLE\.md|DESIGN\.md|GLOSSARY\.md|shared/"
)


def _sources() -> list[Path]:
    files = [*ROOT.joinpath("src").rglob("*.py"), *ROOT.joinpath("src").rglob("*.html")]
    files += [*ROOT.joinpath("tests").rglob("*.py"), *ROOT.joinpath("bench").rglob("*.py")]
    return [path for path in files if "migrations" not in path.parts]


def _listed_capabilities() -> set[str]:
    text = (DOCS / "capabilities.md").read_text()
    listed = {f"{area}-{number}" for area, number in CAPABILITY.findall(text)}
    for area, first, last in RANGE.findall(text):
        listed |= {f"{area}-{n:02d}" for n in range(int(first), int(last) + 1)}
    return listed


def test_every_capability_the_code_cites_is_listed() -> None:
    listed = _listed_capabilities()
    cited: dict[str, str] = {}
    for path in _sources():
        for area, number in CAPABILITY.findall(path.read_text(errors="replace")):
            cited.setdefault(f"{area}-{number}", str(path.relative_to(ROOT)))
    # Ids that look like capabilities but are not: SIE's and WeasyPrint's names, CWE ids.
    cited = {key: where for key, where in cited.items() if not key.startswith(("CWE", "UTF"))}
    missing = {key: where for key, where in cited.items() if key not in listed}
    assert not missing, f"cited but not in docs/capabilities.md: {missing}"


def test_every_module_the_docs_name_exists() -> None:
    named: set[str] = set()
    for page in ("capabilities.md", "architecture.md", "formats.md"):
        text = (DOCS / page).read_text()
        named |= set(re.findall(r"`(forening(?:\.[a-z_]+)+)`", text))
        for path in re.findall(r"`([a-z_]+(?:/[a-z_]+)*\.(?:py|html))`", text):
            found = list(ROOT.joinpath("src", "forening").glob(f"**/{path}"))
            found += list(ROOT.joinpath("src").glob(path)) + list(ROOT.glob(path))
            assert found, f"{page} names {path}, which does not exist"
    for module in sorted(named):
        assert importlib.util.find_spec(module) is not None, f"no module {module}"


def test_the_layers_in_the_docs_are_the_ones_checked() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = config["tool"]["importlinter"]["contracts"][0]
    checked = [
        [name.strip().removeprefix("forening.") for name in layer.split("|")]
        for layer in contract["layers"]
    ]
    text = (DOCS / "architecture.md").read_text()
    diagram = text.split("```", 2)[1].strip().splitlines()
    documented = [[name.strip() for name in line.split("  ")[0].split("|")] for line in diagram]
    assert documented == checked


def test_the_code_cites_nothing_outside_the_repository() -> None:
    offending = [
        str(path.relative_to(ROOT))
        for path in _sources()
        if path.name != "test_docs.py" and OUTSIDE.search(path.read_text(errors="replace"))
    ]
    assert not offending


def test_the_docs_cite_nothing_outside_the_repository() -> None:
    pages = [*DOCS.rglob("*.md"), ROOT / "README.md"]
    offending = [str(page) for page in pages if OUTSIDE.search(page.read_text())]
    assert not offending
