"""Sign-in, lockout, two-factor, password reset and e-mail verification, through the client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_scopes import scopes_disabled

from forening.core import security
from forening.core.context import Actor
from forening.core.models import AuditEvent, RateLimitHit, Role, User
from tests.factories.core import (
    PASSWORD,
    OrganisationFactory,
    RoleAssignmentFactory,
    UserFactory,
)

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:login-verify")


def totp_token(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def with_totp(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, {"email": email, "password": password})


def events() -> QuerySet[AuditEvent]:
    """The whole log: sign-in and account events belong to no organisation, outside every
    tenant scope."""
    with scopes_disabled():
        return AuditEvent.objects.all()


def actions() -> list[str]:
    return list(events().order_by("pk").values_list("action", flat=True))


@pytest.fixture
def user(db):
    return UserFactory(email="anna@example.se")


def test_passwords_are_hashed_with_argon2id(db):
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    user = User.objects.create_user("new@example.se", "ett-långt-lösenord-1")
    assert user.password.startswith("argon2$argon2id$")


def test_sign_in_with_correct_password_is_case_insensitive_and_logged(client, user):
    response = sign_in(client, "Anna@Example.SE")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert "core.login.succeeded" in actions()


def test_wrong_password_and_unknown_address_get_the_same_answer(client, user):
    wrong = sign_in(client, "anna@example.se", "fel-lösenord")
    unknown = sign_in(client, "nobody@example.se", "fel-lösenord")
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session
    failed = events().filter(action="core.login.failed")
    assert failed.count() == 2
    assert failed.filter(subject_user=user).count() == 1


def test_swedish_is_the_default_language_of_the_error(client, user):
    response = sign_in(client, "anna@example.se", "fel-lösenord")
    assert "E-postadressen eller lösenordet är fel." in response.content.decode()


@pytest.mark.parametrize("email", ["anna@example.se", "nobody@example.se"])
def test_repeated_failures_lock_the_address_without_revealing_accounts(client, user, email):
    for _ in range(settings.FORENING_LOGIN_MAX_FAILURES):
        sign_in(client, email, "fel-lösenord")
    response = sign_in(client, email, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    errors = " ".join(response.context["form"].non_field_errors())
    assert "15" in errors  # "wait 15 minutes"
    assert events().filter(action="core.login.locked_out").count() == 1


def test_lockout_ends_after_the_window(client, user):
    for _ in range(settings.FORENING_LOGIN_MAX_FAILURES):
        sign_in(client, "anna@example.se", "fel-lösenord")
    RateLimitHit.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert sign_in(client, "anna@example.se").status_code == 302
    assert not RateLimitHit.objects.filter(key__startswith="login:email:").exists()


def test_inactive_user_cannot_sign_in(client, user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    sign_in(client, "anna@example.se")
    assert "_auth_user_id" not in client.session


def test_open_redirect_after_sign_in_is_refused(client, user):
    response = client.post(
        LOGIN, {"email": user.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")


def test_totp_sign_in_needs_a_valid_unused_code(client, user):
    device = with_totp(user)
    response = sign_in(client, user.email)
    assert response.url == VERIFY
    assert "_auth_user_id" not in client.session

    bad = client.post(VERIFY, {"method": "totp", "token": "000000"})
    assert bad.status_code == 200
    assert "_auth_user_id" not in client.session

    device.refresh_from_db()
    device.throttle_reset()  # the wrong code above started django-otp's back-off
    token = totp_token(device)
    good = client.post(VERIFY, {"method": "totp", "token": token})
    assert good.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert "otp_device_id" in client.session
    assert "core.login.second_factor" in actions()

    # The same code cannot be used a second time (replay).
    client.logout()
    sign_in(client, user.email)
    device.refresh_from_db()
    replay = client.post(VERIFY, {"method": "totp", "token": token})
    assert replay.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "already used" in str(replay.context["form"].errors) or replay.context["form"].errors


def test_email_code_sign_in(client, user, django_capture_on_commit_callbacks):
    EmailDevice.objects.create(user=user, name="mail", email=user.email, confirmed=True)
    sign_in(client, user.email)
    response = client.get(VERIFY + "?method=email")
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    code = re.search(r"^\s+(\d{6})\s*$", mail.outbox[0].body, re.MULTILINE).group(1)
    assert client.post(VERIFY, {"method": "email", "token": code}).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_recovery_code_works_once(client, user):
    with_totp(user)
    codes = security.generate_recovery_codes(user, actor=Actor.system())
    sign_in(client, user.email)
    assert client.post(VERIFY, {"method": "recovery", "token": codes[0]}).status_code == 302
    client.logout()
    sign_in(client, user.email)
    again = client.post(VERIFY, {"method": "recovery", "token": codes[0]})
    assert again.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_stale_second_step_starts_over(client, user):
    with_totp(user)
    sign_in(client, user.email)
    session = client.session
    pending = session["forening_pending_login"]
    pending["at"] -= 3600
    session["forening_pending_login"] = pending
    session.save()
    response = client.get(VERIFY)
    assert response.url == LOGIN


def test_setting_up_totp_confirms_with_a_code_and_shows_recovery_codes(client, user):
    client.force_login(user)
    response = client.get(reverse("accounts:totp-setup"))
    assert response.status_code == 200
    assert response.context["qr_data_uri"].startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post(reverse("accounts:totp-setup"), {"token": "123456"})
    assert wrong.status_code == 200
    device.refresh_from_db()
    device.throttle_reset()
    done = client.post(reverse("accounts:totp-setup"), {"token": totp_token(device)})
    assert done.status_code == 200
    assert len(done.context["codes"]) == security.RECOVERY_CODE_COUNT
    device.refresh_from_db()
    assert device.confirmed
    assert "core.two_factor.totp_added" in actions()


def test_removing_a_device_asks_for_the_password(client, user):
    device = with_totp(user)
    client.force_login(user)
    url = reverse("accounts:device-remove", args=["totp", device.pk])
    client.post(url, {"password": "fel"})
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    client.post(url, {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert "core.two_factor.removed" in actions()


def test_another_users_device_cannot_be_removed(client, user):
    other_device = with_totp(UserFactory())
    client.force_login(user)
    url = reverse("accounts:device-remove", args=["totp", other_device.pk])
    assert client.post(url, {"password": PASSWORD}).status_code == 404
    assert TOTPDevice.objects.filter(pk=other_device.pk).exists()


def test_password_reset_mail_is_in_the_users_language_and_the_link_works_once(client, user):
    user.language = "da"
    user.save(update_fields=["language"])
    response = client.post(reverse("accounts:password-reset"), {"email": user.email})
    assert response.url == reverse("accounts:password-reset-sent")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "adgangskode" in message.subject.lower()
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    assert form_page.context["validlink"]
    new_password = "ett-nytt-långt-lösenord-7"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.url == reverse("accounts:password-reset-done")
    user.refresh_from_db()
    assert user.check_password(new_password)
    assert user.is_email_verified
    # Used once: the same link now says it no longer works.
    assert not client.get("/" + path, follow=True).context["validlink"]


def test_password_reset_for_unknown_address_sends_nothing_and_looks_the_same(client, db):
    response = client.post(reverse("accounts:password-reset"), {"email": "ghost@example.se"})
    assert response.url == reverse("accounts:password-reset-sent")
    assert mail.outbox == []


def test_expired_reset_link_is_refused(client, user, settings):
    from forening.core.services import password_setup_url

    link = password_setup_url(user)
    settings.PASSWORD_RESET_TIMEOUT = -1
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(path, follow=True)
    assert not page.context["validlink"]
    assert "no longer works" in page.content.decode() or "fungerar inte" in page.content.decode()


def test_email_verification_link(client, user):
    client.force_login(user)
    client.post(reverse("accounts:email-verify-send"))
    link = re.search(r"https?://\S+/accounts/email/verify/\S+/", mail.outbox[0].body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    client.get(path)
    user.refresh_from_db()
    assert user.is_email_verified


def test_tampered_or_stale_email_verification_link_is_refused(client, user):
    token = security.email_verification_token(user)
    client.get(reverse("accounts:email-verify", args=[token[:-2] + "xx"]))
    user.email = "changed@example.se"
    user.save(update_fields=["email"])
    client.get(reverse("accounts:email-verify", args=[token]))
    user.refresh_from_db()
    assert not user.is_email_verified


def test_admin_of_an_association_requiring_two_factor_must_set_it_up(client, db):
    with scopes_disabled():
        organisation = OrganisationFactory(require_admin_two_factor=True)
        admin = UserFactory()
        RoleAssignmentFactory(organisation=organisation, user=admin, role=Role.ADMIN)
    client.force_login(admin)
    response = client.get(reverse("org:dashboard", args=[organisation.slug]))
    assert response.url == reverse("accounts:security")


def test_admin_signed_in_with_two_factor_is_let_in(client, db):
    with scopes_disabled():
        organisation = OrganisationFactory(require_admin_two_factor=True)
        admin = UserFactory()
        RoleAssignmentFactory(organisation=organisation, user=admin, role=Role.ADMIN)
    device = with_totp(admin)
    sign_in(client, admin.email)
    client.post(VERIFY, {"method": "totp", "token": totp_token(device)})
    response = client.get(reverse("org:dashboard", args=[organisation.slug]))
    assert response.status_code == 200


def test_security_headers_and_cookies(client, user):
    response = client.get(LOGIN)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert settings.SESSION_COOKIE_HTTPONLY
    sign_in(client, user.email)
    assert client.cookies[settings.SESSION_COOKIE_NAME]["httponly"]
    assert client.cookies[settings.SESSION_COOKIE_NAME]["samesite"] == "Lax"


@pytest.mark.parametrize(
    ("language", "text"), [("sv", "Logga in"), ("da", "Log ind"), ("en", "Sign in")]
)
def test_the_language_can_be_chosen(client, db, language, text):
    response = client.post(reverse("set-language"), {"language": language, "next": LOGIN})
    assert response.url == LOGIN
    page = client.get(LOGIN)
    assert f'lang="{language}"' in page.content.decode()
    assert text in page.content.decode()


def test_password_reset_mails_are_limited_per_address_without_revealing_it(client, user, settings):
    url = reverse("accounts:password-reset")
    for _ in range(settings.FORENING_PASSWORD_RESET_MAX_PER_HOUR + 2):
        response = client.post(url, {"email": user.email})
        assert response.url == reverse("accounts:password-reset-sent")
    assert len(mail.outbox) == settings.FORENING_PASSWORD_RESET_MAX_PER_HOUR
    assert events().filter(action="core.password.reset_throttled").count() == 2


def test_password_reset_limit_ends_after_an_hour(client, user, settings):
    url = reverse("accounts:password-reset")
    for _ in range(settings.FORENING_PASSWORD_RESET_MAX_PER_HOUR):
        client.post(url, {"email": user.email})
    RateLimitHit.objects.update(created_at=timezone.now() - timedelta(hours=2))
    client.post(url, {"email": user.email})
    assert len(mail.outbox) == settings.FORENING_PASSWORD_RESET_MAX_PER_HOUR + 1
