from django.http import HttpResponse


def login(request, **kw):
    return HttpResponse("login")


login_verify = logout = password_reset = password_reset_sent = password_reset_confirm = login
password_reset_done = password_change = email_verification_send = email_verify = login
security = totp_setup = email_device_setup = recovery_codes = device_remove = login
