"""Forening settings: everything comes from environment variables (see docs/operations.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from forening.env import env_bool, env_int, env_list, env_str, parse_email_url

SRC_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(env_str("FORENING_HOME", str(Path.cwd())))
VAR_DIR = Path(env_str("FORENING_VAR_DIR", str(BASE_DIR / "var")))
TESTING = "pytest" in sys.modules or env_bool("FORENING_TESTING", False)

DEV_SECRET_KEY = "forening-development-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Identity numbers are encrypted with AES-GCM. The first key encrypts; all decrypt.
# Format: "keyid:base64key,keyid:base64key". Without it a development key is derived
# from SECRET_KEY, which `forening check --deploy` refuses.
FORENING_ENCRYPTION_KEYS = env_str("FORENING_ENCRYPTION_KEYS")
FORENING_SEARCH_KEY = env_str("FORENING_SEARCH_KEY")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_email",
    "django_tasks",
    "django_tasks_db",
    "forening.core",
    "forening.households",
    "forening.members",
    "forening.ledger",
    "forening.fees",
    "forening.billing",
    "forening.payments",
    "forening.office",
    "forening.portal",
    "forening.web",
    "forening.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "forening.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "forening.core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "forening.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "forening.urls"
WSGI_APPLICATION = "forening.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "forening.core.context_processors.shell",
            ],
        },
    }
]

# Database: SQLite in var/ by default, PostgreSQL via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'forening.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE makes writers serialise at BEGIN, since SQLite ignores select_for_update;
    # WAL lets readers run beside the one writer.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["forening.core.auth.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60 * 24)
# Failed logins before an e-mail address (or a client address) is paused, and for how long.
FORENING_LOGIN_MAX_FAILURES = env_int("FORENING_LOGIN_MAX_FAILURES", 5)
FORENING_LOGIN_MAX_FAILURES_PER_IP = env_int("FORENING_LOGIN_MAX_FAILURES_PER_IP", 30)
FORENING_LOGIN_LOCKOUT_SECONDS = env_int("FORENING_LOGIN_LOCKOUT_SECONDS", 15 * 60)
# Password-reset mails per address and per client address in an hour.
# The member register: upload limits for imports and correspondence attachments.
FORENING_MAX_IMPORT_BYTES = env_int("FORENING_MAX_IMPORT_BYTES", 20 * 1024 * 1024)
FORENING_MAX_IMPORT_ROWS = env_int("FORENING_MAX_IMPORT_ROWS", 100_000)
FORENING_MAX_ATTACHMENT_BYTES = env_int("FORENING_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)

FORENING_PASSWORD_RESET_MAX_PER_HOUR = env_int("FORENING_PASSWORD_RESET_MAX_PER_HOUR", 3)
FORENING_PASSWORD_RESET_MAX_PER_HOUR_PER_IP = env_int(
    "FORENING_PASSWORD_RESET_MAX_PER_HOUR_PER_IP", 20
)

OTP_TOTP_ISSUER = "Forening"
OTP_EMAIL_TOKEN_VALIDITY = 600
OTP_EMAIL_BODY_TEMPLATE_PATH = "core/mail/otp_email.txt"
OTP_EMAIL_SUBJECT = _("Your sign-in code")

# Sessions and cookies.
HTTPS = env_bool("FORENING_HTTPS", not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
SESSION_COOKIE_NAME = "forening_session"
CSRF_COOKIE_NAME = "forening_csrftoken"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("FORENING_BEHIND_PROXY", False) else None
)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Languages: Swedish first, then Danish and English.
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", "Svenska"), ("da", "Dansk"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "forening_language"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Stockholm"

STATIC_URL = "/static/"
STATICFILES_DIRS = [SRC_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
if (DEBUG or TESTING) and not STATIC_ROOT.exists():
    STATIC_ROOT = None  # type: ignore[assignment]  # served from the apps by the finders
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# E-mail: every message is handed to a task; the worker delivers it by EMAIL_URL.
_email = parse_email_url(env_str("EMAIL_URL", "file://"), VAR_DIR / "mail")
EMAIL_BACKEND = "forening.core.mail.QueuedEmailBackend"
FORENING_EMAIL_DELIVERY_BACKEND = str(_email["backend"])
EMAIL_HOST = str(_email.get("host", "localhost"))
EMAIL_PORT = int(str(_email.get("port", 25)))
EMAIL_HOST_USER = str(_email.get("username", ""))
EMAIL_HOST_PASSWORD = str(_email.get("password", ""))
EMAIL_USE_TLS = bool(_email.get("use_tls", False))
EMAIL_USE_SSL = bool(_email.get("use_ssl", False))
EMAIL_TIMEOUT = int(str(_email.get("timeout", 20)))
EMAIL_FILE_PATH = str(_email.get("file_path", VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Forening <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background work: Django's task API. The database backend needs no extra server;
# FORENING_TASK_BACKEND=rq moves work to Redis (REDIS_URL) for larger installations.
# The local time after which the worker starts the daily jobs (core.scheduler).
FORENING_DAILY_AT = env_str("FORENING_DAILY_AT", "05:00")
TASK_BACKEND = env_str("FORENING_TASK_BACKEND", "database")
if TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif TASK_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": env_str("REDIS_URL", "redis://127.0.0.1:6379/0")}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("FORENING_TASK_BACKEND must be database, rq or immediate")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "forening",
    }
}

# Structured logs: one JSON object per line on stderr.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "forening.core.logging.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.security": {"level": "INFO"},
        "django.utils.autoreload": {"level": "WARNING"},
        # WeasyPrint reports every page it lays out at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

FORENING_REQUIRE_BROWSER = env_bool("FORENING_REQUIRE_BROWSER", False)

if TESTING:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    FORENING_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
