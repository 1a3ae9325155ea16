"""Who is in which group, and who administers or leads what."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from forening.core.models.base import TimestampedModel, TrackedModel
from forening.core.models.groups import Group
from forening.core.models.organisations import Organisation
from forening.core.models.people import Person


class GroupRole(models.TextChoices):
    PARTICIPANT = "participant", _("Participant")
    LEADER = "leader", _("Leader")
    ASSISTANT = "assistant", _("Assistant leader")


class GroupMembership(TrackedModel, TimestampedModel):
    """A person taking part in a group (a player in a team, a pupil in a class)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    group = models.ForeignKey(
        Group, verbose_name=_("group"), on_delete=models.PROTECT, related_name="memberships"
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="group_memberships",
    )
    role = models.CharField(
        _("role in group"), max_length=20, choices=GroupRole.choices, default=GroupRole.PARTICIPANT
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["pk"]
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        constraints = [
            models.UniqueConstraint(fields=["group", "person"], name="group_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.group}"


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    LEADER = "leader", _("Group leader")


class RoleAssignment(TrackedModel, TimestampedModel):
    """A user's role in one organisation.

    An administrator of an organisation administers it and every local unit below it
    (so an administrator of a local unit administers that unit's subtree). A leader
    leads one group.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    group = models.ForeignKey(
        Group,
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="leader_assignments",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["role", "pk"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user", "role"],
                condition=models.Q(group__isnull=True),
                name="role_assignment_unique_admin",
            ),
            models.UniqueConstraint(
                fields=["organisation", "user", "role", "group"],
                condition=models.Q(group__isnull=False),
                name="role_assignment_unique_leader",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role="leader", group__isnull=False)
                    | models.Q(role="admin", group__isnull=True)
                ),
                name="role_assignment_group_matches_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"

    def clean(self) -> None:
        if self.role == Role.LEADER and self.group_id is None:
            raise ValidationError({"group": _("A group leader needs a group.")})
        if self.role == Role.ADMIN:
            self.group = None
