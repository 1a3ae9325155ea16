"""Typed readers for environment variables, used by settings.py only.

Each reader rejects a malformed value at start-up instead of guessing, and
`NAME_FILE` may point at a file holding the value (for container secrets).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_email_url(url: str, default_mail_dir: Path) -> dict[str, object]:
    """Turn EMAIL_URL into Django e-mail settings.

    smtp://user:password@host:587?tls=1, smtps://… (implicit TLS), file:///path
    (one .eml per message, for development), console:, locmem: (tests).
    """
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    scheme = parts.scheme
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if scheme in {"smtp", "smtps", "submission"}:
        use_ssl = scheme == "smtps" or query.get("ssl", "").lower() in TRUE
        use_tls = scheme == "submission" or query.get("tls", "").lower() in TRUE
        if use_ssl and use_tls:
            raise ImproperlyConfigured("EMAIL_URL cannot ask for both implicit TLS and STARTTLS")
        default_port = 465 if use_ssl else 587 if use_tls else 25
        return {
            "backend": "django.core.mail.backends.smtp.EmailBackend",
            "host": parts.hostname or "localhost",
            "port": parts.port or default_port,
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_tls": use_tls,
            "use_ssl": use_ssl,
            "timeout": int(query.get("timeout", "20")),
        }
    if scheme == "file":
        path = Path(unquote(parts.path)) if parts.path else default_mail_dir
        return {"backend": "forening.core.mail.EmlFileBackend", "file_path": str(path)}
    if scheme == "console":
        return {"backend": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"backend": "django.core.mail.backends.locmem.EmailBackend"}
    raise ImproperlyConfigured(
        f"EMAIL_URL scheme {scheme!r} is not supported (smtp, smtps, submission, file, console)"
    )
