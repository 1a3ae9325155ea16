from django_scopes import scope

from forening.core import policy
from forening.core.models import Group, Person


def test_admin_of_a_federation_administers_its_local_units(world):
    access = policy.access_for(world.federation_admin, world.unit)
    assert access.is_admin
    assert not access.is_direct_admin


def test_local_unit_admin_does_not_administer_the_association_above(world):
    assert policy.access_for(world.unit_admin, world.unit).is_admin
    assert not policy.access_for(world.unit_admin, world.org).belongs


def test_leader_sees_only_the_groups_they_lead(world):
    access = policy.access_for(world.leader, world.org)
    with scope(organisation=world.org.pk):
        groups = policy.visible(access, "core.group.view", Group.objects.all())
        assert list(groups) == [world.group]
        assert not policy.can(access, "core.group.view", world.other_group)


def test_guardian_sees_own_and_ward_but_not_other_members(world):
    access = policy.access_for(world.member, world.org)
    with scope(organisation=world.org.pk):
        people = set(policy.visible(access, "core.person.view", Person.objects.all()))
    assert people == {world.member_person, world.ward}
    assert policy.can(access, "core.person.change", world.ward)
    assert not policy.can(access, "core.person.change", world.group_person)


def test_an_object_of_another_organisation_is_never_allowed(world):
    access = policy.access_for(world.admin, world.org)
    assert not policy.can(access, "core.person.view", world.stranger_person)


def test_every_rule_refuses_an_outsider(world):
    access = policy.access_for(world.outsider, world.org)
    for action in policy.RULES:
        assert not policy.can(access, action), action
