"""Members give and withdraw consents for themselves and their wards on My pages."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django_scopes import scopes_disabled

from forening.members.models import Consent, ConsentSource
from tests.conftest import World
from tests.factories.members import ConsentPurposeFactory


def _url(world: World, person_id: int) -> str:
    return reverse("org:portal-consents", args=[world.org.slug, person_id])


def test_member_gives_and_withdraws_consent_for_a_ward(client: Any, world: World) -> None:
    with scopes_disabled():
        photos = ConsentPurposeFactory(organisation=world.org, name="Bilder på webbplatsen")
        news = ConsentPurposeFactory(organisation=world.org, name="Nyhetsbrev")
    client.force_login(world.member)

    page = client.get(reverse("org:portal", args=[world.org.slug]))
    assert "Bilder på webbplatsen" in page.content.decode()

    client.post(_url(world, world.ward.pk), {"purpose": [photos.pk, news.pk]})
    client.post(_url(world, world.ward.pk), {"purpose": [news.pk]})

    with scopes_disabled():
        rows = Consent.objects.filter(person=world.ward).order_by("pk")
        assert [(r.purpose_id, r.withdrawn_at is None) for r in rows] == [
            (photos.pk, False),
            (news.pk, True),
        ]
        assert {r.given_source for r in rows} == {ConsentSource.PORTAL}
        assert rows[0].withdrawn_source == ConsentSource.PORTAL


def test_member_cannot_set_consents_of_someone_else(client: Any, world: World) -> None:
    with scopes_disabled():
        purpose = ConsentPurposeFactory(organisation=world.org)
    client.force_login(world.member)

    response = client.post(_url(world, world.group_person.pk), {"purpose": [purpose.pk]})

    assert response.status_code in (403, 404)
    with scopes_disabled():
        assert not Consent.objects.filter(person=world.group_person).exists()


def test_purpose_of_another_association_is_ignored(client: Any, world: World) -> None:
    with scopes_disabled():
        foreign = ConsentPurposeFactory(organisation=world.other_org)
    client.force_login(world.member)

    client.post(_url(world, world.member_person.pk), {"purpose": [foreign.pk]})

    with scopes_disabled():
        assert not Consent.objects.filter(person=world.member_person).exists()
