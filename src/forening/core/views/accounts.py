"""Sign-in with two-factor authentication, password reset, e-mail verification, security."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from forening.core import audit, security
from forening.core.context import Actor, client_ip
from forening.core.forms_accounts import (
    ChangePasswordForm,
    ChoosePasswordForm,
    CodeForm,
    ConfirmPasswordForm,
    LocalisedPasswordResetForm,
    LoginForm,
    RecoveryCodeForm,
)
from forening.core.mailer import send_templated
from forening.core.views.base import AuthenticatedRequest, account_view

PENDING_KEY = "forening_pending_login"
PENDING_MAX_AGE = 5 * 60


def _wrong_credentials() -> str:
    return _("The e-mail address or password is incorrect.")


def _locked_out() -> str:
    minutes = settings.FORENING_LOGIN_LOCKOUT_SECONDS // 60
    return _(
        "Too many failed attempts. Wait %(minutes)d minutes and try again, or reset your password."
    ) % {"minutes": minutes}


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


@sensitive_post_parameters("password")
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    """First step: e-mail address and password. Users with two-factor go on to verify."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        actor = Actor(user=None, label=email[:254], ip_address=client_ip(request))
        if security.is_locked_out(email, actor.ip_address):
            audit.record(actor, "core.login.locked_out", email=email)
            form.add_error(None, _locked_out())
        else:
            user = authenticate(request, email=email, password=form.cleaned_data["password"])
            if user is None:
                security.register_login_failure(email, actor)
                form.add_error(None, _wrong_credentials())
            elif security.has_two_factor(user):
                request.session[PENDING_KEY] = {
                    "user": user.pk,
                    "backend": user.backend,
                    "at": time.time(),
                    "next": next_url,
                    "email_sent": False,
                }
                return redirect("accounts:login-verify")
            else:
                security.clear_login_failures(email)
                auth_login(request, user)
                return redirect(next_url)
    return render(request, "core/accounts/login.html", {"form": form, "next": next_url})


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_MAX_AGE:
        request.session.pop(PENDING_KEY, None)
        return None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        return None
    return user, pending


@sensitive_post_parameters("token")
@never_cache
def login_verify(request: HttpRequest) -> HttpResponse:
    """Second step: a code from the authenticator app, an e-mailed code, or a recovery code."""
    found = _pending_user(request)
    if found is None:
        messages.info(request, _("Your sign-in took too long. Please sign in again."))
        return redirect("accounts:login")
    user, pending = found
    devices = security.login_devices(user)
    available = [kind for kind in ("totp", "email", "recovery") if devices[kind] is not None]
    method = request.POST.get("method") or request.GET.get("method") or available[0]
    if method not in available:
        method = available[0]
    actor = Actor(user=None, label=user.email, ip_address=client_ip(request))
    form_class = RecoveryCodeForm if method == "recovery" else CodeForm
    form = form_class()
    email_device = devices["email"]

    if method == "email" and not isinstance(email_device, EmailDevice):
        raise Http404  # unreachable: "email" is offered only when the device exists
    if method == "email" and request.method == "GET" and not pending.get("email_sent"):
        security.send_email_code(email_device)
        pending["email_sent"] = True
        request.session[PENDING_KEY] = pending
        messages.info(request, _("We have sent a code to %(email)s.") % {"email": user.email})
    elif request.method == "POST" and "resend" in request.POST and method == "email":
        security.send_email_code(email_device)
        messages.info(request, _("We have sent a new code to %(email)s.") % {"email": user.email})
        return redirect(f"{reverse('accounts:login-verify')}?method=email")
    elif request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            if security.is_locked_out(user.email, actor.ip_address):
                form.add_error(None, _locked_out())
            else:
                device = security.verify_second_factor(user, method, form.cleaned_data["token"])
                if device is None:
                    security.register_login_failure(user.email, actor, stage=method)
                    form.add_error("token", _("The code is wrong, expired or already used."))
                else:
                    del request.session[PENDING_KEY]
                    security.clear_login_failures(user.email)
                    user.backend = pending["backend"]
                    user.otp_device = device  # django-otp marks the session as verified
                    auth_login(request, user)
                    audit.record(
                        Actor(user=user, label=user.email, ip_address=actor.ip_address),
                        "core.login.second_factor",
                        subject_user=user,
                        method=method,
                    )
                    if method == "recovery":
                        messages.warning(
                            request,
                            _("You used a recovery code. Each code works only once."),
                        )
                    return redirect(pending.get("next") or "home")
    context = {
        "form": form,
        "method": method,
        "available": available,
        "email": user.email,
    }
    return render(request, "core/accounts/login_verify.html", context)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("accounts:login")


class PasswordResetView(auth_views.PasswordResetView):
    form_class = LocalisedPasswordResetForm
    template_name = "core/accounts/password_reset.html"
    email_template_name = "core/mail/password_reset.txt"
    subject_template_name = "core/mail/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-sent")
    extra_email_context = {"site_url": settings.SITE_URL}

    def form_valid(self, form: Any) -> HttpResponse:
        actor = Actor(user=None, label="", ip_address=client_ip(self.request))
        if not security.allow_password_reset(form.cleaned_data["email"], actor):
            # Same answer as a sent mail: the limit must not reveal whether an account exists.
            return redirect(self.success_url)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "core/accounts/password_reset_confirm.html"
    form_class = ChoosePasswordForm
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        actor = Actor(user=user, label=user.email, ip_address=client_ip(self.request))
        # The link reached this inbox, so the address is proven too.
        security.mark_email_verified(user, actor=actor)
        security.clear_login_failures(user.email)
        audit.record(actor, "core.password.reset", subject_user=user)
        return response


password_reset = PasswordResetView.as_view()
password_reset_confirm = PasswordResetConfirmView.as_view()
password_reset_sent = auth_views.PasswordResetDoneView.as_view(
    template_name="core/accounts/password_reset_sent.html"
)
password_reset_done = auth_views.PasswordResetCompleteView.as_view(
    template_name="core/accounts/password_reset_done.html"
)


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@account_view
def password_change(request: AuthenticatedRequest) -> HttpResponse:
    form = ChangePasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        audit.record(Actor.from_request(request), "core.password.changed", subject_user=user)
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:security")
    return render(request, "core/accounts/password_change.html", {"form": form})


@require_POST
@account_view
def email_verification_send(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if user.is_email_verified:
        messages.info(request, _("Your e-mail address is already verified."))
    else:
        send_verification_email(user)
        messages.success(
            request,
            _("We have sent a link to %(email)s.") % {"email": user.email},
        )
    return redirect("accounts:security")


def send_verification_email(user: Any) -> None:
    token = security.email_verification_token(user)
    link = settings.SITE_URL + reverse("accounts:email-verify", kwargs={"token": token})
    send_templated(
        "core/mail/email_verification",
        to=user.email,
        language=user.language,
        context={"user": user, "link": link},
    )


@never_cache
def email_verify(request: HttpRequest, token: str) -> HttpResponse:
    user = security.verify_email_token(token)
    if user is None:
        messages.error(
            request,
            _("The verification link is invalid or has expired. Sign in and ask for a new one."),
        )
    else:
        security.mark_email_verified(
            user, actor=Actor(user=user, label=user.email, ip_address=client_ip(request))
        )
        messages.success(request, _("Thank you, your e-mail address is verified."))
    return redirect("accounts:security" if request.user.is_authenticated else "accounts:login")


@account_view
def security_overview(request: AuthenticatedRequest) -> HttpResponse:
    status = security.two_factor_status(request.user)
    return render(request, "core/accounts/security.html", {"status": status})


@account_view
def totp_setup(request: AuthenticatedRequest) -> HttpResponse:
    """Add an authenticator app: scan the QR code, then confirm with a code from the app."""
    import segno

    device = security.pending_totp_device(request.user)
    form = CodeForm(request.POST or None)
    actor = Actor.from_request(request)
    if request.method == "POST" and form.is_valid():
        if security.confirm_totp_device(device, form.cleaned_data["token"], actor=actor):
            otp_login(request, device)
            messages.success(request, _("Your authenticator app is now used when you sign in."))
            return _after_first_factor(request)
        form.add_error("token", _("The code is wrong. Check the time on your phone and try again."))
    qr = segno.make(device.config_url, error="m")
    secret = _group(device_base32(device))
    context = {"form": form, "qr_data_uri": qr.svg_data_uri(scale=5, border=2), "secret": secret}
    return render(request, "core/accounts/totp_setup.html", context)


def device_base32(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def _group(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _after_first_factor(request: AuthenticatedRequest) -> HttpResponse:
    """Show recovery codes once when the user has none yet."""
    status = security.two_factor_status(request.user)
    if status.recovery_codes_left == 0:
        codes = security.generate_recovery_codes(
            request.user,
            actor=Actor.from_request(request),
        )
        return render(request, "core/accounts/recovery_codes.html", {"codes": codes})
    return redirect("accounts:security")


@account_view
def email_device_setup(request: AuthenticatedRequest) -> HttpResponse:
    """Add codes by e-mail: we send a code, the user types it back."""
    user = request.user
    device = security.pending_email_device(user)
    form = CodeForm()
    if request.method == "POST" and "send" in request.POST:
        security.send_email_code(device)
        messages.info(request, _("We have sent a code to %(email)s.") % {"email": device.email})
    elif request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            actor = Actor.from_request(request)
            if security.confirm_email_device(device, form.cleaned_data["token"], actor=actor):
                otp_login(request, device)
                messages.success(request, _("Codes by e-mail are now used when you sign in."))
                return _after_first_factor(request)
            form.add_error("token", _("The code is wrong, expired or already used."))
    return render(
        request, "core/accounts/email_device_setup.html", {"form": form, "device": device}
    )


@account_view
def recovery_codes(request: AuthenticatedRequest) -> HttpResponse:
    """Generate new single-use recovery codes (the old ones stop working)."""
    if request.method == "POST":
        if not security.has_two_factor(request.user):
            messages.error(request, _("Set up an authenticator app or e-mail codes first."))
            return redirect("accounts:security")
        codes = security.generate_recovery_codes(
            request.user,
            actor=Actor.from_request(request),
        )
        return render(request, "core/accounts/recovery_codes.html", {"codes": codes})
    return redirect("accounts:security")


@sensitive_post_parameters("password")
@account_view
def device_remove(request: AuthenticatedRequest, kind: str, device_id: int) -> HttpResponse:
    """Remove an authenticator or e-mail codes; asks for the password first."""
    model = {"totp": TOTPDevice, "email": EmailDevice}.get(kind)
    if model is None:
        raise Http404
    device = model.objects.filter(pk=device_id, user=request.user, confirmed=True).first()
    if device is None:
        raise Http404
    form = ConfirmPasswordForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        security.remove_device(device, actor=Actor.from_request(request))
        messages.success(request, _("The sign-in method has been removed."))
        return redirect("accounts:security")
    return render(request, "core/accounts/device_remove.html", {"form": form, "device": device})
