"""The operator commands: create-organisation and generate-key."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_scopes import scope, scopes_disabled

from forening.core import crypto
from forening.core.models import AuditEvent, Organisation, Role, RoleAssignment, User
from tests.factories.core import OrganisationFactory


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def table_counts() -> tuple[int, int, int, int]:
    with scopes_disabled():
        return (
            Organisation.objects.count(),
            User.objects.count(),
            RoleAssignment.objects.count(),
            AuditEvent.objects.count(),
        )


@pytest.mark.django_db
def test_create_organisation_creates_it_with_an_admin_and_prints_a_set_password_link():
    output = run(
        "create-organisation",
        "--name=IK Norrby",
        "--slug=ik-norrby",
        "--country=SE",
        "--admin-email=Kassor@IK-Norrby.se",
        "--organisation-number=8020042514",
    )

    organisation = Organisation.objects.get(slug="ik-norrby")
    assert organisation.name == "IK Norrby"
    assert organisation.currency == "SEK"
    assert organisation.organisation_number == "802004-2514"
    admin = User.objects.get(email="kassor@ik-norrby.se")
    assert not admin.has_usable_password()
    with scopes_disabled():
        assert RoleAssignment.objects.filter(
            organisation=organisation, user=admin, role=Role.ADMIN
        ).exists()
    assert "IK Norrby (ik-norrby, SE, 802004-2514)" in output
    assert "http://127.0.0.1:8000/accounts/password/reset/" in output
    with scope(organisation=organisation.pk):
        assert AuditEvent.objects.filter(action="core.organisation.created_with_admin").exists()


@pytest.mark.django_db
def test_create_organisation_can_make_a_local_unit_of_a_federation():
    federation = OrganisationFactory(slug="forbundet")

    run(
        "create-organisation",
        "--name=Förbundet Syd",
        "--slug=forbundet-syd",
        "--country=DK",
        "--admin-email=syd@example.dk",
        "--parent=forbundet",
    )

    unit = Organisation.objects.get(slug="forbundet-syd")
    assert unit.parent == federation
    assert unit.currency == "DKK"
    assert unit.language == "da"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--slug": "taken"}, "slug: An association with this short name already exists."),
        ({"--organisation-number": "802004-2516"}, "organisation-number:"),
        ({"--country": "NO"}, "--country must be one of SE, DK"),
        ({"--admin-email": "not-an-address"}, "is not a valid e-mail address"),
        ({"--parent": "nowhere"}, "no organisation has the short name 'nowhere'"),
        ({"--slug": "Not a slug!"}, "slug:"),
    ],
)
def test_create_organisation_refuses_bad_input_and_writes_nothing(change, message):
    OrganisationFactory(slug="taken")
    before = table_counts()
    options = {
        "--name": "IK Fel",
        "--slug": "ik-fel",
        "--country": "SE",
        "--admin-email": "admin@ik-fel.se",
        **change,
    }

    with pytest.raises(CommandError) as raised:
        run("create-organisation", *[f"{key}={value}" for key, value in options.items()])

    assert message in str(raised.value)
    assert table_counts() == before


def test_generate_key_prints_lines_the_settings_accept():
    output = run("generate-key")

    lines = dict(line.split("=", 1) for line in output.strip().splitlines())
    keys = crypto.parse_keys(lines["FORENING_ENCRYPTION_KEYS"])
    assert len(keys) == 1
    key_id, key = keys[0]
    assert key_id.startswith("k")
    assert len(key) == 32
    assert len(lines["FORENING_SEARCH_KEY"]) >= 40
    assert run("generate-key") != output


@pytest.mark.django_db
def test_worker_runs_nothing_for_the_immediate_backend(settings):
    settings.TASK_BACKEND = "immediate"

    assert "no worker to start" in run("worker")
