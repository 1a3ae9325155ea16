"""The member register on a phone: search, open a member, edit, save and see the change;
the identity number is revealed in place (htmx) and the person form switches between a
person and an organisation."""

from __future__ import annotations

import re
from typing import Any

from django_scopes import scope, scopes_disabled

from forening.core.models import AuditEvent, Person, Role
from tests.browser.conftest import screenshot
from tests.factories.core import PASSWORD, OrganisationFactory, RoleAssignmentFactory, UserFactory
from tests.factories.members import PERSONNUMMER, HouseholdFactory, make_member


def _register(live_server: Any) -> tuple[Any, Person]:
    with scopes_disabled():
        organisation = OrganisationFactory(name="IK Demo", slug="ik-demo")
        admin = UserFactory(email="kansli@ik-demo.se", language="en")
        RoleAssignmentFactory(organisation=organisation, user=admin, role=Role.ADMIN)
    with scope(organisation=organisation.pk):
        household = HouseholdFactory(organisation=organisation, name="Familjen Lindqvist")
        astrid = make_member(
            organisation,
            first_name="Astrid",
            last_name="Lindqvist",
            email="astrid@example.se",
            identity_number=PERSONNUMMER,
            household=household,
        )
        make_member(organisation, first_name="Bertil", last_name="Lindqvist", household=household)
        make_member(organisation, first_name="Cecilia", last_name="Ek")
    return admin, astrid


def _sign_in(page: Any, live_server: Any, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/o/ik-demo/")


def test_search_open_edit_and_save_on_a_phone(phone, live_server, transactional_db):
    admin, astrid = _register(live_server)
    _sign_in(phone, live_server, admin.email)

    # search
    phone.goto(f"{live_server.url}/o/ik-demo/office/members/")
    phone.fill("input[name=q]", "astrid")
    phone.press("input[name=q]", "Enter")
    phone.wait_for_url(re.compile(r".*[?&]q=astrid.*"))
    screenshot(phone, "member-search-375")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # open the member
    phone.locator(f"a[href$='/office/members/{astrid.pk}/']:visible").first.click()
    phone.wait_for_url(f"**/office/members/{astrid.pk}/")
    assert "Astrid Lindqvist" in phone.locator("h1").inner_text()
    assert "19850312-****" in phone.locator("#identity-number").inner_text()
    assert "Familjen Lindqvist" in phone.locator("#household").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "member-page-375")

    # edit and save
    phone.locator("a[href$='/edit/']").first.click()
    phone.wait_for_url(f"**/office/members/{astrid.pk}/edit/")
    assert phone.input_value("input[name=email]") == "astrid@example.se"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.fill("input[name=email]", "astrid.lindqvist@example.se")
    phone.fill("input[name=phone]", "070-765 43 21")
    screenshot(phone, "member-edit-375")
    phone.locator("form[data-person-form] button[type=submit]").click()

    # see the change
    phone.wait_for_url(f"**/office/members/{astrid.pk}/")
    details = phone.locator("#details").inner_text()
    assert "astrid.lindqvist@example.se" in details
    assert "070-765 43 21" in details
    assert "The changes have been saved." in phone.locator(".messages").inner_text()
    screenshot(phone, "member-saved-375")
    with scopes_disabled():
        saved = Person.objects.get(pk=astrid.pk)
    assert saved.email == "astrid.lindqvist@example.se"
    assert saved.phone == "+46707654321"


def test_bad_input_is_shown_on_the_form_on_a_phone(phone, live_server, transactional_db):
    admin, astrid = _register(live_server)
    _sign_in(phone, live_server, admin.email)
    phone.goto(f"{live_server.url}/o/ik-demo/office/members/{astrid.pk}/edit/")
    phone.fill("input[name=email]", "utan-snabel-a")
    phone.fill("input[name=phone]", "ring mig")
    phone.locator("form[data-person-form] button[type=submit]").click()
    phone.wait_for_selector(".invalid-feedback")
    assert "Nothing has been saved" in phone.locator(".alert-danger").inner_text()
    feedback = phone.locator(".invalid-feedback").all_inner_texts()
    assert any("name@example.se" in text for text in feedback)
    assert any("not a valid phone number" in text for text in feedback)
    screenshot(phone, "member-edit-errors-375")
    with scopes_disabled():
        assert Person.objects.get(pk=astrid.pk).email == "astrid@example.se"


def test_reveal_in_place_and_organisation_form_on_a_desktop(desktop, live_server, transactional_db):
    admin, astrid = _register(live_server)
    _sign_in(desktop, live_server, admin.email)
    desktop.goto(f"{live_server.url}/o/ik-demo/office/members/{astrid.pk}/")
    desktop.locator("#identity-number button[type=submit]").click()
    desktop.wait_for_selector("[data-identity-number]")
    assert PERSONNUMMER in desktop.locator("#identity-number").inner_text()
    assert desktop.url.endswith(f"/office/members/{astrid.pk}/")  # swapped in place
    with scope(organisation=astrid.organisation_id):
        assert AuditEvent.objects.filter(action="members.identity_number.revealed").count() == 1
    screenshot(desktop, "member-page-1280")

    desktop.goto(f"{live_server.url}/o/ik-demo/office/members/new/")
    assert desktop.locator("[data-kind=organisation]").is_hidden()
    desktop.locator("label[for=id_kind_1]").click()
    assert desktop.locator("[data-kind=person]").is_hidden()
    desktop.fill("input[name=organisation_name]", "Bygg AB")
    desktop.fill("input[name=contact_name]", "Bo Ek")
    screenshot(desktop, "member-create-organisation-1280")
    desktop.locator("form[data-person-form] button[type=submit]").click()
    desktop.wait_for_url(re.compile(r".*/office/members/\d+/$"))
    assert "Bygg AB" in desktop.locator("h1").inner_text()
