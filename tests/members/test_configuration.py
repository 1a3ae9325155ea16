"""The register settings services: membership types, custom fields, tags, consent purposes."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from forening.core.context import Actor
from forening.core.models import AuditEvent, Organisation
from forening.members import configuration, services
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeRequirement,
    AttributeValue,
    ConsentPurpose,
    MembershipKind,
    MembershipType,
    Tag,
    Tagging,
)
from tests.factories.members import (
    ConsentPurposeFactory,
    MembershipTypeFactory,
    TagFactory,
    make_member,
)

ACTOR = Actor.system("test")


def _choice_field(org: Organisation, labels: list[str], **fields: Any) -> AttributeDefinition:
    attribute = AttributeDefinition(
        organisation=org, name=fields.pop("name", "Allergier"), kind=AttributeKind.MULTIPLE_CHOICE
    )
    for key, value in fields.items():
        setattr(attribute, key, value)
    return configuration.save_attribute(attribute, actor=ACTOR, option_labels=labels)


# --- membership types ---------------------------------------------------------------------


def test_save_membership_type_creates_and_audits(org: Organisation) -> None:
    # when
    saved = configuration.save_membership_type(
        MembershipType(organisation=org, name="  Ungdom  ", kind=MembershipKind.ORDINARY),
        actor=ACTOR,
    )
    # then
    assert saved.pk is not None
    assert saved.name == "Ungdom"
    event = AuditEvent.objects.get(action="members.membershiptype.created")
    assert event.actor_label == "test"
    assert event.changes["name"] == [None, "Ungdom"]


def test_membership_type_name_is_unique_regardless_of_case(org: Organisation) -> None:
    # given
    MembershipTypeFactory(organisation=org, name="Ungdom")
    # when / then
    with pytest.raises(ValidationError) as error:
        configuration.save_membership_type(
            MembershipType(organisation=org, name="UNGDOM"), actor=ACTOR
        )
    assert "name" in error.value.message_dict
    assert MembershipType.objects.filter(organisation=org).count() == 1


def test_empty_name_is_refused(org: Organisation) -> None:
    with pytest.raises(ValidationError) as error:
        configuration.save_consent_purpose(ConsentPurpose(organisation=org, name="  "), actor=ACTOR)
    assert "name" in error.value.message_dict


def test_membership_type_in_use_is_deactivated_not_deleted(org: Organisation) -> None:
    # given
    used = MembershipTypeFactory(organisation=org, name="Familj")
    unused = MembershipTypeFactory(organisation=org, name="Passiv")
    make_member(org, membership_type=used)
    # when
    first = configuration.remove_membership_type(used, actor=ACTOR)
    second = configuration.remove_membership_type(unused, actor=ACTOR)
    # then
    assert first == "deactivated"
    used.refresh_from_db()
    assert used.is_active is False
    assert second == "deleted"
    assert not MembershipType.objects.filter(pk=unused.pk).exists()


# --- custom fields --------------------------------------------------------------------------


def test_choice_keys_are_slugs_of_the_labels(org: Organisation) -> None:
    # when
    attribute = _choice_field(org, ["Gluten", "Nötter", "Laktos", "gluten fritt", "Gluten!"])
    # then: unique, comma-free keys; a second "Gluten" slug gets a suffix
    keys = [option["key"] for option in attribute.options]
    assert keys == ["gluten", "notter", "laktos", "gluten-fritt", "gluten-2"]
    assert [o["label"] for o in attribute.options][1] == "Nötter"


def test_renaming_a_label_keeps_its_key_and_the_values(org: Organisation) -> None:
    # given
    attribute = _choice_field(org, ["Gluten", "Nötter", "Laktos"])
    person = make_member(org, attributes={attribute.pk: ["Nötter"]})
    # when: the middle line edited in place, and the first one only re-cased
    saved = configuration.save_attribute(
        AttributeDefinition.objects.get(pk=attribute.pk),
        actor=ACTOR,
        option_labels=["GLUTEN", "Jordnötter", "Laktos", "Ägg"],
    )
    # then
    assert saved.options == [
        {"key": "gluten", "label": "GLUTEN"},
        {"key": "notter", "label": "Jordnötter"},
        {"key": "laktos", "label": "Laktos"},
        {"key": "agg", "label": "Ägg"},
    ]
    assert services.attribute_values_of(person) == {attribute.pk: ["notter"]}


def test_reordering_lines_keeps_keys(org: Organisation) -> None:
    attribute = _choice_field(org, ["Röd", "Grön", "Blå"])
    saved = configuration.save_attribute(
        AttributeDefinition.objects.get(pk=attribute.pk),
        actor=ACTOR,
        option_labels=["Blå", "Röd", "Grön"],
    )
    assert [o["key"] for o in saved.options] == ["bla", "rod", "gron"]


def test_removing_an_option_in_use_is_refused(org: Organisation) -> None:
    # given
    attribute = _choice_field(org, ["Gluten", "Nötter", "Laktos"])
    make_member(org, attributes={attribute.pk: ["Laktos"]})
    make_member(org, attributes={attribute.pk: ["Laktos", "Gluten"]})
    # when / then
    with pytest.raises(ValidationError) as error:
        configuration.save_attribute(
            AttributeDefinition.objects.get(pk=attribute.pk),
            actor=ACTOR,
            option_labels=["Gluten", "Nötter"],
        )
    message = error.value.message_dict["options"][0]
    assert "Laktos" in message
    assert "2" in message
    attribute.refresh_from_db()
    assert len(attribute.options) == 3


def test_removing_an_unused_option_is_allowed(org: Organisation) -> None:
    attribute = _choice_field(org, ["Gluten", "Nötter", "Laktos"])
    make_member(org, attributes={attribute.pk: ["Gluten"]})
    saved = configuration.save_attribute(
        AttributeDefinition.objects.get(pk=attribute.pk),
        actor=ACTOR,
        option_labels=["Gluten", "Laktos"],
    )
    assert [o["key"] for o in saved.options] == ["gluten", "laktos"]


def test_choice_field_needs_choices_and_unique_labels(org: Organisation) -> None:
    with pytest.raises(ValidationError) as error:
        _choice_field(org, [])
    assert "options" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _choice_field(org, ["Ja", "ja"])
    assert "options" in error.value.message_dict
    assert not AttributeDefinition.objects.filter(organisation=org).exists()


def test_kind_of_a_field_with_values_cannot_change(org: Organisation) -> None:
    # given
    attribute = configuration.save_attribute(
        AttributeDefinition(organisation=org, name="Skostorlek", kind=AttributeKind.TEXT),
        actor=ACTOR,
    )
    make_member(org, attributes={attribute.pk: "42"})
    # when
    stale = AttributeDefinition.objects.get(pk=attribute.pk)
    stale.kind = AttributeKind.NUMBER
    with pytest.raises(ValidationError) as error:
        configuration.save_attribute(stale, actor=ACTOR)
    # then
    assert "kind" in error.value.message_dict
    attribute.refresh_from_db()
    assert attribute.kind == AttributeKind.TEXT


def test_kind_of_a_field_without_values_can_change(org: Organisation) -> None:
    attribute = _choice_field(org, ["A", "B"])
    attribute.kind = AttributeKind.TEXT
    saved = configuration.save_attribute(attribute, actor=ACTOR, option_labels=["A"])
    assert saved.kind == AttributeKind.TEXT
    assert saved.options == []


def test_required_for_membership_types(org: Organisation) -> None:
    # given
    ordinary = MembershipTypeFactory(organisation=org, name="Ordinarie")
    family = MembershipTypeFactory(organisation=org, name="Familj")
    attribute = AttributeDefinition(organisation=org, name="Licens", kind=AttributeKind.TEXT)
    # when
    configuration.save_attribute(attribute, actor=ACTOR, required_for=[ordinary, family])
    configuration.save_attribute(attribute, actor=ACTOR, required_for=[family])
    # then
    assert list(
        AttributeRequirement.objects.filter(attribute=attribute).values_list(
            "membership_type_id", flat=True
        )
    ) == [family.pk]
    event = AuditEvent.objects.filter(
        object_id=str(attribute.pk), changes__has_key="required_for"
    ).first()
    assert event is not None
    assert event.changes["required_for"] == [["Familj", "Ordinarie"], ["Familj"]]
    # and the register enforces it
    with pytest.raises(ValidationError):
        make_member(org, membership_type=family)


def test_required_for_refuses_another_associations_type(
    org: Organisation, django_user_model: Any
) -> None:
    from django_scopes import scopes_disabled

    from tests.factories.core import OrganisationFactory

    with scopes_disabled():
        foreign = MembershipTypeFactory(organisation=OrganisationFactory())
    attribute = AttributeDefinition(organisation=org, name="Licens", kind=AttributeKind.TEXT)
    with pytest.raises(ValidationError):
        configuration.save_attribute(attribute, actor=ACTOR, required_for=[foreign])
    assert not AttributeDefinition.objects.filter(organisation=org).exists()


def test_field_with_values_is_deactivated_not_deleted(org: Organisation) -> None:
    used = configuration.save_attribute(
        AttributeDefinition(organisation=org, name="Allergi", kind=AttributeKind.TEXT),
        actor=ACTOR,
    )
    unused = configuration.save_attribute(
        AttributeDefinition(organisation=org, name="Hobby", kind=AttributeKind.TEXT),
        actor=ACTOR,
    )
    make_member(org, attributes={used.pk: "Pollen"})
    assert configuration.remove_attribute(used, actor=ACTOR) == "deactivated"
    assert configuration.remove_attribute(unused, actor=ACTOR) == "deleted"
    assert AttributeValue.objects.filter(attribute=used).count() == 1


# --- tags ---------------------------------------------------------------------------------------


def test_rename_tag(org: Organisation) -> None:
    tag = TagFactory(organisation=org, name="styrelse")
    result = configuration.rename_tag(tag, "  Styrelsen ", actor=ACTOR)
    assert result.merged is False
    tag.refresh_from_db()
    assert tag.name == "Styrelsen"
    assert AuditEvent.objects.filter(action="members.tag.updated").exists()


def test_rename_onto_an_existing_name_merges(org: Organisation) -> None:
    # given
    board = TagFactory(organisation=org, name="Styrelse")
    old = TagFactory(organisation=org, name="Styrelsen")
    both = make_member(org)
    only_old = make_member(org)
    services.tag_people(org, [both.pk], board, actor=ACTOR)
    services.tag_people(org, [both.pk, only_old.pk], old, actor=ACTOR)
    # when
    result = configuration.rename_tag(old, "styrelse", actor=ACTOR)
    # then
    assert result.merged is True
    assert result.tag == board
    assert result.moved == 1
    assert not Tag.objects.filter(pk=old.pk).exists()
    assert set(Tagging.objects.filter(tag=board).values_list("person_id", flat=True)) == {
        both.pk,
        only_old.pk,
    }
    event = AuditEvent.objects.get(action="members.tag.deleted")
    assert event.changes["merged_into"] == "Styrelse"
    assert event.changes["people"] == 2


def test_rename_tag_refuses_an_empty_name(org: Organisation) -> None:
    tag = TagFactory(organisation=org, name="Kassör")
    with pytest.raises(ValidationError):
        configuration.rename_tag(tag, "   ", actor=ACTOR)
    tag.refresh_from_db()
    assert tag.name == "Kassör"


def test_delete_tag_removes_taggings_and_records_each_person(org: Organisation) -> None:
    # given
    tag = TagFactory(organisation=org, name="Funktionär")
    people = [make_member(org) for _ in range(3)]
    services.tag_people(org, [p.pk for p in people], tag, actor=ACTOR)
    # when
    count = configuration.delete_tag(tag, actor=ACTOR)
    # then
    assert count == 3
    assert not Tag.objects.filter(pk=tag.pk).exists()
    assert not Tagging.objects.filter(organisation=org).exists()
    removed = AuditEvent.objects.filter(action="members.tag.removed")
    assert set(removed.values_list("person_id", flat=True)) == {p.pk for p in people}
    assert AuditEvent.objects.get(action="members.tag.deleted").changes["people"] == 3


def test_delete_tag_is_set_wise(org: Organisation, django_assert_max_num_queries: Any) -> None:
    tag = TagFactory(organisation=org, name="Många")
    people = [make_member(org) for _ in range(25)]
    services.tag_people(org, [p.pk for p in people], tag, actor=ACTOR)
    with django_assert_max_num_queries(12):
        configuration.delete_tag(Tag.objects.get(pk=tag.pk), actor=ACTOR)


# --- consent purposes ----------------------------------------------------------------------------


def test_save_consent_purpose(org: Organisation) -> None:
    purpose = configuration.save_consent_purpose(
        ConsentPurpose(organisation=org, name="Bilder på webben", description="Foton"),
        actor=ACTOR,
    )
    assert purpose.pk is not None
    assert AuditEvent.objects.filter(action="members.consentpurpose.created").exists()


def test_consent_purpose_with_consents_is_deactivated(org: Organisation) -> None:
    purpose = ConsentPurposeFactory(organisation=org, name="Nyhetsbrev")
    person = make_member(org)
    services.give_consent(person, purpose, actor=ACTOR)
    services.withdraw_consent(person, purpose, actor=ACTOR)
    assert configuration.remove_consent_purpose(purpose, actor=ACTOR) == "deactivated"
    unused = ConsentPurposeFactory(organisation=org, name="SMS")
    assert configuration.remove_consent_purpose(unused, actor=ACTOR) == "deleted"


# --- pure helpers --------------------------------------------------------------------------------


def test_merge_options_without_the_database() -> None:
    current = [{"key": "a", "label": "Alfa"}, {"key": "b", "label": "Beta"}]
    assert configuration.merge_options(current, ["Alfa", "  ", "Gamma", "Beta"]) == [
        {"key": "a", "label": "Alfa"},
        {"key": "gamma", "label": "Gamma"},
        {"key": "b", "label": "Beta"},
    ]
    # a line edited in place keeps the key of the option that stood there
    assert configuration.merge_options(current, ["Alfa", "Bäta"]) == [
        {"key": "a", "label": "Alfa"},
        {"key": "b", "label": "Bäta"},
    ]
    assert configuration.option_key("!!!", set()) == "option"
    assert configuration.option_key("A, B", {"a-b"}) == "a-b-2"
