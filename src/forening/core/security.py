"""Sign-in protection and two-factor devices.

Lockout counts failed sign-ins per e-mail address and per client address in a sliding
window (rows in `RateLimitHit`, so it works across processes and machines). A locked
address gets the same answer whether or not an account exists, so the lockout does
not reveal which addresses are registered.

Two-factor authentication uses django-otp: an authenticator app (TOTP), a code by
e-mail, and single-use recovery codes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone, translation
from django_otp.models import Device
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import RateLimitHit, User

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "recovery"
EMAIL_VERIFICATION_SALT = "forening.email-verification"
EMAIL_VERIFICATION_MAX_AGE = 3 * 24 * 60 * 60


def _email_key(scope: str, email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]
    return f"{scope}:email:{digest}"


def _ip_key(scope: str, ip: str | None) -> str | None:
    return f"{scope}:ip:{ip}" if ip else None


def _since(seconds: int) -> datetime:
    return timezone.now() - timedelta(seconds=seconds)


def _over_limit(key: str | None, limit: int, window_seconds: int) -> bool:
    if key is None:
        return False
    recent = RateLimitHit.objects.filter(key=key, created_at__gte=_since(window_seconds))
    return recent.count() >= limit


def _count(keys: list[str | None], window_seconds: int) -> None:
    present = [key for key in keys if key]
    RateLimitHit.objects.filter(key__in=present, created_at__lt=_since(window_seconds)).delete()
    RateLimitHit.objects.bulk_create([RateLimitHit(key=key) for key in present])


def is_locked_out(email: str, ip: str | None) -> bool:
    """True when the address, or the client, had too many recent failed sign-ins."""
    window = settings.FORENING_LOGIN_LOCKOUT_SECONDS
    return _over_limit(
        _email_key("login", email), settings.FORENING_LOGIN_MAX_FAILURES, window
    ) or _over_limit(_ip_key("login", ip), settings.FORENING_LOGIN_MAX_FAILURES_PER_IP, window)


@transaction.atomic
def register_login_failure(email: str, actor: Actor, *, stage: str = "password") -> None:
    """Count a failed sign-in (password or second factor) and log it."""
    _count(
        [_email_key("login", email), _ip_key("login", actor.ip_address)],
        settings.FORENING_LOGIN_LOCKOUT_SECONDS,
    )
    user = User.objects.filter(email__iexact=email.strip()).first()
    audit.record(
        actor,
        "core.login.failed",
        subject_user=user,
        email=email.strip()[:254],
        stage=stage,
    )


def clear_login_failures(email: str) -> None:
    RateLimitHit.objects.filter(key=_email_key("login", email)).delete()


PASSWORD_RESET_WINDOW = 60 * 60


@transaction.atomic
def allow_password_reset(email: str, actor: Actor) -> bool:
    """Count a password-reset request; False when the address or the client asked too often.

    The caller answers the same either way, so the limit reveals nothing about accounts;
    it only stops anyone from flooding an inbox with reset mails.
    """
    email_key = _email_key("reset", email)
    ip_key = _ip_key("reset", actor.ip_address)
    if _over_limit(
        email_key, settings.FORENING_PASSWORD_RESET_MAX_PER_HOUR, PASSWORD_RESET_WINDOW
    ) or _over_limit(
        ip_key, settings.FORENING_PASSWORD_RESET_MAX_PER_HOUR_PER_IP, PASSWORD_RESET_WINDOW
    ):
        audit.record(actor, "core.password.reset_throttled", email=email.strip()[:254])
        return False
    _count([email_key, ip_key], PASSWORD_RESET_WINDOW)
    return True


# --- two-factor devices ----------------------------------------------------------------


@dataclass(frozen=True)
class TwoFactorStatus:
    totp: list[TOTPDevice]
    email: list[EmailDevice]
    recovery_codes_left: int

    @property
    def enabled(self) -> bool:
        return bool(self.totp or self.email)


def two_factor_status(user: User) -> TwoFactorStatus:
    recovery = StaticToken.objects.filter(
        device__user=user, device__name=RECOVERY_DEVICE_NAME, device__confirmed=True
    ).count()
    return TwoFactorStatus(
        totp=list(TOTPDevice.objects.filter(user=user, confirmed=True)),
        email=list(EmailDevice.objects.filter(user=user, confirmed=True)),
        recovery_codes_left=recovery,
    )


def has_two_factor(user: User) -> bool:
    return bool(
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or EmailDevice.objects.filter(user=user, confirmed=True).exists()
    )


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up, created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
    return device


@transaction.atomic
def confirm_totp_device(device: TOTPDevice, token: str, *, actor: Actor) -> bool:
    """Confirm a new authenticator with a code from it. False if the code is wrong."""
    if not device.verify_token(token.strip().replace(" ", "")):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor, "core.two_factor.totp_added", subject_user=device.user)
    return True


def send_email_code(device: EmailDevice) -> str:
    """E-mail a fresh code to the device's address, in the user's language."""
    with translation.override(device.user.language):
        return str(device.generate_challenge())


def pending_email_device(user: User) -> EmailDevice:
    device = EmailDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = EmailDevice.objects.create(
            user=user, name="E-mail", email=user.email, confirmed=False
        )
    return device


@transaction.atomic
def confirm_email_device(device: EmailDevice, token: str, *, actor: Actor) -> bool:
    if not device.verify_token(token.strip()):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor, "core.two_factor.email_added", subject_user=device.user)
    return True


@transaction.atomic
def generate_recovery_codes(user: User, *, actor: Actor) -> list[str]:
    """Replace the user's recovery codes with new single-use ones; returns them once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    audit.record(actor, "core.two_factor.recovery_codes_generated", subject_user=user)
    return codes


@transaction.atomic
def remove_device(device: Device, *, actor: Actor) -> None:
    """Remove a second factor. Recovery codes go too when no other factor remains."""
    user = device.user
    kind = type(device).__name__
    device.delete()
    if not has_two_factor(user):
        StaticDevice.objects.filter(user=user).delete()
    audit.record(actor, "core.two_factor.removed", subject_user=user, device=kind)


def login_devices(user: User) -> dict[str, Device | None]:
    """The confirmed device of each kind a user can sign in with."""
    return {
        "totp": TOTPDevice.objects.filter(user=user, confirmed=True).first(),
        "email": EmailDevice.objects.filter(user=user, confirmed=True).first(),
        "recovery": StaticDevice.objects.filter(
            user=user, name=RECOVERY_DEVICE_NAME, confirmed=True
        ).first(),
    }


def verify_second_factor(user: User, method: str, token: str) -> Device | None:
    """The device that accepts `token` by `method`, or None. Codes are single-use."""
    device = login_devices(user).get(method)
    if device is None:
        return None
    cleaned = token.strip().replace(" ", "").replace("-", "")
    if method == "recovery":
        cleaned = cleaned.lower()
    return device if device.verify_token(cleaned) else None


# --- e-mail verification ---------------------------------------------------------------


def email_verification_token(user: User) -> str:
    return signing.dumps(
        {"user": user.pk, "email": user.email}, salt=EMAIL_VERIFICATION_SALT, compress=True
    )


def verify_email_token(token: str) -> User | None:
    """The user whose current address the token confirms, or None (bad, old, or stale)."""
    try:
        data = signing.loads(
            token, salt=EMAIL_VERIFICATION_SALT, max_age=EMAIL_VERIFICATION_MAX_AGE
        )
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None or user.email.lower() != str(data.get("email", "")).lower():
        return None
    return user


@transaction.atomic
def mark_email_verified(user: User, *, actor: Actor) -> None:
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        audit.record(actor, "core.email.verified", subject_user=user)
