"""The books' office pages: fiscal years with the SIE download, the chart, the journal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_scopes import scope, scopes_disabled

from forening.core.context import Actor
from forening.core.models import AuditEvent
from forening.ledger import services, sie
from forening.ledger.models import FiscalYear
from forening.ledger.services import Entry, Line
from tests.conftest import World

ACTOR = Actor.system("test")


@pytest.fixture
def admin_client(client: Any, world: World) -> Any:
    client.force_login(world.admin)
    return client


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"org:{name}", kwargs={"org_slug": world.org.slug, **kwargs})


def fee(world: World, day: dt.date, amount: int = 30000, text: str = "Medlemsavgift") -> Any:
    with scope(organisation=world.org.pk):
        return services.post(
            world.org,
            Entry(
                day,
                text,
                [
                    Line("receivables", amount, person_id=world.member_person.pk),
                    Line("membership_fees", -amount),
                ],
                series="F",
            ),
            actor=ACTOR,
        )


def test_the_books_list_fiscal_years_with_their_voucher_counts(admin_client, world):
    fee(world, dt.date(2025, 3, 1))
    fee(world, dt.date(2026, 3, 1))
    fee(world, dt.date(2026, 4, 1))
    response = admin_client.get(url(world, "books"))
    assert response.status_code == 200
    years = response.context["years"]
    assert [(str(y), y.voucher_count) for y in years] == [("2026", 2), ("2025", 1)]
    assert "SIE file" in response.content.decode()


def test_the_sie_download_is_a_cp437_file_other_readers_can_load(admin_client, world):
    voucher = fee(world, dt.date(2026, 3, 1), text="Medlemsavgift Åsa Öberg")
    response = admin_client.post(url(world, "sie-export", year_id=voucher.fiscal_year_id))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.se"')
    data = b"".join(response.streaming_content)
    assert "Medlemsavgift Åsa Öberg".encode("cp437") in data
    parsed = sie.read_sie(data)
    assert parsed.company_name == "IK Test"
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="ledger.sie.exported").count() == 1


def test_a_year_without_vouchers_is_not_exported(admin_client, world):
    with scopes_disabled():
        year = FiscalYear.objects.create(
            organisation=world.org, starts_on=dt.date(2024, 1, 1), ends_on=dt.date(2024, 12, 31)
        )
    response = admin_client.post(url(world, "sie-export", year_id=year.pk))
    assert response.status_code == 302
    with translation.override("sv"):
        expected = gettext("There are no vouchers in the fiscal year %(year)s to export.")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [expected % {"year": "2024"}]
    assert expected.startswith("Det finns inga")


def test_another_associations_year_is_not_found(admin_client, world):
    with scope(organisation=world.other_org.pk):
        services.ensure_chart(world.other_org)
        voucher = services.post(
            world.other_org,
            Entry(dt.date(2026, 1, 5), "X", [Line("bank", 100), Line("membership_fees", -100)]),
            actor=ACTOR,
        )
    response = admin_client.post(url(world, "sie-export", year_id=voucher.fiscal_year_id))
    assert response.status_code == 404
    response = admin_client.get(url(world, "journal") + f"?year={voucher.fiscal_year_id}")
    assert response.status_code == 200
    assert response.context["year"] is None


def test_the_chart_shows_each_accounts_role_and_balance(admin_client, world):
    voucher = fee(world, dt.date(2026, 3, 1), amount=45000)
    response = admin_client.get(url(world, "accounts") + f"?year={voucher.fiscal_year_id}")
    assert response.status_code == 200
    rows = {account.number: account for account in response.context["accounts"]}
    assert rows["1510"].closing == 45000
    assert rows["3010"].movement == -45000
    body = response.content.decode()
    assert "Receivables (invoices not yet paid)" in body
    assert "450,00" in body


@pytest.mark.parametrize("count", [2, 12])
def test_the_journal_reads_a_page_in_constant_queries(
    admin_client, world, count, django_assert_max_num_queries
):
    for day in range(1, count + 1):
        fee(world, dt.date(2026, 3, day), amount=100 * day)
    admin_client.get(url(world, "journal"))  # warm the session and caches
    with django_assert_max_num_queries(14):
        response = admin_client.get(url(world, "journal"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == count
    body = response.content.decode()
    assert f">F{count}</span> Medlemsavgift" in body


def test_the_journal_filters_by_series(admin_client, world):
    fee(world, dt.date(2026, 3, 1))
    with scope(organisation=world.org.pk):
        services.post(
            world.org,
            Entry(
                dt.date(2026, 3, 2),
                "Inbetalning",
                [Line("bank", 100), Line("receivables", -100)],
                series="B",
            ),
            actor=ACTOR,
        )
    response = admin_client.get(url(world, "journal") + "?series=B")
    assert [str(v) for v in response.context["page"].object_list] == ["B1"]


def test_the_admin_switches_to_the_cash_method_when_nothing_is_open(admin_client, world):
    response = admin_client.get(url(world, "books"))
    assert 'name="accounting_method"' in response.content.decode()

    response = admin_client.post(url(world, "accounting-method"), {"accounting_method": "cash"})

    assert response.status_code == 302
    with scopes_disabled():
        assert services.settings_for(world.org).accounting_method == "cash"
        assert AuditEvent.objects.filter(
            organisation=world.org, action="ledger.settings.accounting_method_changed"
        ).exists()


def test_the_method_is_not_changed_while_an_invoice_is_unpaid(admin_client, world):
    fee(world, dt.date(2026, 3, 1))  # 300 kr on receivables

    response = admin_client.post(url(world, "accounting-method"), {"accounting_method": "cash"})

    assert response.status_code == 302
    (message,) = get_messages(response.wsgi_request)
    assert message.level_tag == "error"
    with scopes_disabled():
        assert services.settings_for(world.org).accounting_method == "invoice"


def test_an_unknown_method_is_refused(admin_client, world):
    response = admin_client.post(url(world, "accounting-method"), {"accounting_method": "barter"})

    (message,) = get_messages(response.wsgi_request)
    assert message.level_tag == "error"
    with scopes_disabled():
        assert services.settings_for(world.org).accounting_method == "invoice"
