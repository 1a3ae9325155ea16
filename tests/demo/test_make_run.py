"""`make run` serves on PORT and gives the demo and the server the same address (SITE_URL),
so the address printed with the demo logins and the links in e-mails are the ones served."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def run_commands(*args: str, **env: str) -> list[str]:
    """The forening commands `make run` would run (`make -n` prints them, runs nothing)."""
    # Without an outer make's flags (`make test` runs the suite) and without the caller's
    # SITE_URL and PORT.
    ignored = {"SITE_URL", "PORT", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    environment = {k: v for k, v in os.environ.items() if k not in ignored}
    found = subprocess.run(  # noqa: S603 - our own Makefile
        ["make", "-n", "run", *args],  # noqa: S607 - make from PATH, as a developer runs it
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in found.stdout.splitlines() if "forening " in line]
    assert [line.split("forening ")[1].split()[0] for line in lines] == [
        "migrate",
        "demo",
        "serve",
    ]
    return lines


def test_make_run_on_another_port_prints_and_links_that_port():
    migrate, demo, serve = run_commands("PORT=8080")

    for line in (migrate, demo, serve):
        assert "SITE_URL='http://127.0.0.1:8080'" in line
    assert "--print-logins" in demo
    assert serve.endswith("--port 8080")


def test_make_run_takes_port_from_the_environment_too():
    for line in run_commands(PORT="8090"):
        assert "SITE_URL='http://127.0.0.1:8090'" in line


def test_make_run_keeps_a_site_url_that_is_set():
    migrate, demo, serve = run_commands(SITE_URL="https://medlem.example.org")

    assert "SITE_URL='https://medlem.example.org'" in demo
    assert serve.endswith("--port 8000")
