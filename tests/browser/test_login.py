"""A person signs in with two-factor authentication on a phone-sized screen."""

from __future__ import annotations

from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_scopes import scopes_disabled

from forening.core.models import Role
from tests.browser.conftest import screenshot
from tests.factories.core import (
    PASSWORD,
    GroupFactory,
    OrganisationFactory,
    RoleAssignmentFactory,
    UserFactory,
)


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    return f"{totp.token():06d}"


def test_admin_signs_in_with_totp_on_a_phone(phone, live_server, transactional_db):
    with scopes_disabled():
        organisation = OrganisationFactory(
            name="IK Demo", slug="ik-demo", require_admin_two_factor=True
        )
        GroupFactory(organisation=organisation, name="P12 Blå")
        admin = UserFactory(email="kansli@ik-demo.se", language="sv")
        RoleAssignmentFactory(organisation=organisation, user=admin, role=Role.ADMIN)
    device = TOTPDevice.objects.create(user=admin, name="Telefon", confirmed=True)

    phone.goto(f"{live_server.url}/accounts/login/")
    assert phone.locator("h1").inner_text() == "Logga in"
    screenshot(phone, "login-375")
    phone.fill("input[name=email]", admin.email)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button[type=submit]")

    phone.wait_for_url("**/accounts/login/verify/")
    assert "Tvåstegsverifiering" in phone.locator("h1").inner_text()
    screenshot(phone, "login-verify-375")
    phone.fill("input[name=token]", current_code(device))
    phone.click("button[type=submit] >> nth=0")

    phone.wait_for_url(f"**/o/{organisation.slug}/")
    assert "IK Demo" in phone.locator(".navbar-brand").inner_text()
    # The page fits the screen: nothing wider than the viewport.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "dashboard-375")

    # The menu opens from the toggler on a phone.
    phone.click(".navbar-toggler")
    phone.wait_for_selector("#mainnav.show")
    screenshot(phone, "menu-375")


def test_sign_in_page_on_a_desktop(desktop, live_server, transactional_db):
    desktop.goto(f"{live_server.url}/accounts/login/")
    desktop.fill("input[name=email]", "nobody@example.se")
    desktop.fill("input[name=password]", "fel-lösenord")
    desktop.click("button[type=submit]")
    assert "E-postadressen eller lösenordet är fel." in desktop.locator(".alert").inner_text()
    screenshot(desktop, "login-error-1280")
