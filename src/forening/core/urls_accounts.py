"""Sign-in, two-factor authentication, password and e-mail: /accounts/…"""

from django.urls import path

from forening.core.views import accounts

app_name = "accounts"

urlpatterns = [
    path("login/", accounts.login, name="login"),
    path("login/verify/", accounts.login_verify, name="login-verify"),
    path("logout/", accounts.logout, name="logout"),
    path("password/reset/", accounts.password_reset, name="password-reset"),
    path("password/reset/sent/", accounts.password_reset_sent, name="password-reset-sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        accounts.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("password/reset/done/", accounts.password_reset_done, name="password-reset-done"),
    path("password/change/", accounts.password_change, name="password-change"),
    path("email/verify/", accounts.email_verification_send, name="email-verify-send"),
    path("email/verify/<token>/", accounts.email_verify, name="email-verify"),
    path("security/", accounts.security_overview, name="security"),
    path("security/totp/", accounts.totp_setup, name="totp-setup"),
    path("security/email/", accounts.email_device_setup, name="email-device-setup"),
    path("security/recovery-codes/", accounts.recovery_codes, name="recovery-codes"),
    path(
        "security/devices/<str:kind>/<int:device_id>/remove/",
        accounts.device_remove,
        name="device-remove",
    ),
]
