"""Deployment safety: health endpoint, `check --deploy`, encryption keys, money formatting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given
from hypothesis import strategies as st

from forening.core import crypto, money

KEY_A = "kA:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="  # 32 x "A"
KEY_B = "kB:" + "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="  # 32 x "B"


@pytest.mark.django_db
def test_healthz_reports_ok_as_json(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"


# --- forening check --deploy, run as a fresh process so settings.py reads the environment.

SECRET_ENV = (
    "DEBUG",
    "SECRET_KEY",
    "FORENING_ENCRYPTION_KEYS",
    "FORENING_SEARCH_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "FORENING_TESTING",
    "FORENING_TASK_BACKEND",
    "EMAIL_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the browser tests in this process
)


def check_deploy(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SECRET_ENV and not k.endswith("_FILE")}
    clean.update(FORENING_HOME=str(tmp_path), FORENING_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "forening.cli", "check", "--deploy", "--fail-level", "ERROR"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow  # a `forening check --deploy` subprocess
def test_check_deploy_refuses_a_development_configuration(tmp_path):
    result = check_deploy(tmp_path, DEBUG="1")

    assert result.returncode != 0
    for check_id in ("forening.E001", "forening.E002", "forening.E003", "forening.E005"):
        assert check_id in result.stderr


@pytest.mark.slow  # a `forening check --deploy` subprocess
def test_check_deploy_accepts_a_production_configuration(tmp_path):
    result = check_deploy(
        tmp_path,
        DEBUG="0",
        SECRET_KEY="x7" * 30,
        FORENING_ENCRYPTION_KEYS=f"{KEY_B},{KEY_A}",
        FORENING_SEARCH_KEY="a-long-random-search-key-0123456789abcdef",
        ALLOWED_HOSTS="example.org",
    )

    assert result.returncode == 0, result.stderr
    assert "forening.E" not in result.stderr + result.stdout


@pytest.mark.slow  # a `forening check --deploy` subprocess
def test_check_deploy_reports_a_malformed_key_ring(tmp_path):
    result = check_deploy(
        tmp_path,
        DEBUG="0",
        SECRET_KEY="x7" * 30,
        FORENING_ENCRYPTION_KEYS="kA:not-base64!",
        FORENING_SEARCH_KEY="a-long-random-search-key-0123456789abcdef",
        ALLOWED_HOSTS="example.org",
    )

    assert result.returncode != 0
    assert "forening.E004" in result.stderr


# --- Encryption of identity numbers.


@pytest.fixture
def keys(settings):
    def use(encryption_keys: str, search_key: str = "search-key-one") -> None:
        settings.FORENING_ENCRYPTION_KEYS = encryption_keys
        settings.FORENING_SEARCH_KEY = search_key
        crypto.keyring.cache_clear()

    yield use
    crypto.keyring.cache_clear()


def test_encrypted_text_decrypts_to_the_original(keys):
    keys(KEY_A)

    token = crypto.encrypt("19121212-1212", context=b"person:1")

    assert token.startswith("v1:kA:")
    assert "19121212" not in token
    assert crypto.decrypt(token, context=b"person:1") == "19121212-1212"
    assert crypto.encrypt("19121212-1212", context=b"person:1") != token  # fresh nonce


def test_a_rotated_key_ring_still_decrypts_old_ciphertext(keys):
    keys(KEY_A)
    old = crypto.encrypt("19121212-1212")

    keys(f"{KEY_B},{KEY_A}")

    assert crypto.decrypt(old) == "19121212-1212"
    assert crypto.encrypt("19121212-1212").startswith("v1:kB:")


def test_tampered_ciphertext_or_another_context_is_refused(keys):
    keys(KEY_A)
    token = crypto.encrypt("19121212-1212", context=b"person:1")
    prefix, _, body = token.rpartition(":")
    flipped = body[:20] + ("A" if body[20] != "A" else "B") + body[21:]

    with pytest.raises(InvalidTag):
        crypto.decrypt(f"{prefix}:{flipped}", context=b"person:1")
    with pytest.raises(InvalidTag):
        crypto.decrypt(token, context=b"person:2")


def test_blind_index_is_stable_and_keyed(keys):
    keys(KEY_A, search_key="search-key-one")
    first = crypto.blind_index("191212121212", purpose="personnummer")

    keys(f"{KEY_B},{KEY_A}", search_key="search-key-one")
    assert crypto.blind_index("191212121212", purpose="personnummer") == first
    assert crypto.blind_index("191212121212", purpose="cpr") != first

    keys(KEY_A, search_key="search-key-two")
    assert crypto.blind_index("191212121212", purpose="personnummer") != first


# --- Money.


def test_money_is_formatted_per_locale():
    assert money.format_money(123450, "SEK", "sv") == "1\xa0234,50\xa0kr"
    assert money.format_money(123450, "DKK", "da") == "1.234,50\xa0kr."
    assert money.format_money(-5000, "SEK", "sv") == "-50,00\xa0kr"


@pytest.mark.parametrize(
    ("text", "minor"),
    [("1 234,50", 123450), ("1\xa0234,50", 123450), ("1234.5", 123450), ("450", 45000)],
)
def test_money_input_is_parsed_to_minor_units(text, minor):
    assert money.parse_money(text, "SEK") == minor


@pytest.mark.parametrize("text", ["12,345", "abc", "1,2,3"])
def test_money_input_that_is_not_an_amount_is_refused(text):
    with pytest.raises(ValueError, match="not an amount|too many decimals"):
        money.parse_money(text, "SEK")


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["SEK", "DKK", "EUR"]))
def test_swedish_formatted_amounts_parse_back_to_the_same_minor_units(amount, currency):
    from babel.numbers import format_decimal

    text = format_decimal(money.to_decimal(amount, currency), format="#,##0.00", locale="sv_SE")

    assert money.parse_money(text, currency) == amount
