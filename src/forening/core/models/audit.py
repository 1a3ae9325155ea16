"""The audit log: one append-only row per event."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from forening.core import audit_protection
from forening.core.models.organisations import Organisation
from forening.core.models.people import Person

AUDIT_ACTION_LABELS = {
    "core.login.succeeded": _("Signed in"),
    "core.login.failed": _("Failed sign-in"),
    "core.login.locked_out": _("Sign-in refused: too many attempts"),
    "core.login.second_factor": _("Signed in with two-factor authentication"),
    "core.logout": _("Signed out"),
    "core.password.reset": _("Password reset"),
    "core.password.reset_throttled": _("Password reset refused: too many requests"),
    "core.password.changed": _("Password changed"),
    "core.email.verified": _("E-mail address verified"),
    "core.two_factor.totp_added": _("Authenticator app added"),
    "core.two_factor.email_added": _("Codes by e-mail turned on"),
    "core.two_factor.recovery_codes_generated": _("New recovery codes"),
    "core.two_factor.removed": _("Two-factor method removed"),
    "core.role.granted": _("Role granted"),
    "core.role.revoked": _("Role removed"),
    "core.organisation.created_with_admin": _("Association created"),
    "core.demo.created": _("Demo data loaded"),
    "core.audit.redacted": _("Personal data removed from the audit log"),
    "members.identity_number.revealed": _("Identity number shown"),
    "members.status.changed": _("Status changed"),
    "members.group.added": _("Added to a group"),
    "members.tag.added": _("Tag added"),
    "members.tag.removed": _("Tag removed"),
    "members.tag.deleted": _("Tag deleted"),
    "members.tag.merged": _("Tags merged"),
    "members.guardian.added": _("Guardian added"),
    "members.guardian.removed": _("Guardian removed"),
    "members.consent.given": _("Consent given"),
    "members.consent.withdrawn": _("Consent withdrawn"),
    "members.note.added": _("Note added"),
    "members.export": _("Members exported"),
    "members.import": _("Members imported"),
    "members.import.discarded": _("Import cancelled; the file was deleted"),
    "members.privacy.extract": _("Register extract"),
    "members.privacy.anonymised": _("Personal data removed (anonymised)"),
    "members.retention.applied": _("Retention rule applied"),
    "members.identity_numbers.reencrypted": _("Identity numbers re-encrypted with a new key"),
    "billing.invoice.issued": _("Invoice issued"),
    "billing.invoice.credited": _("Invoice credited"),
    "billing.invoice.line_added": _("Line added to an invoice"),
    "billing.run.committed": _("Billing run committed"),
    "billing.reminders.sent": _("Reminders sent"),
    "billing.reports.exported": _("Financial reports exported"),
    "billing.invoices.exported": _("Invoices exported"),
    "payments.payment.registered": _("Payment registered"),
    "payments.payment.placed": _("Payment placed"),
    "payments.payment.reversed": _("Payment reversed"),
}
AUDIT_VERB_LABELS = {
    "created": _("%(object)s created"),
    "updated": _("%(object)s changed"),
    "deleted": _("%(object)s deleted"),
}


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """The audit log is append-only: no bulk delete, and a bulk update (`update()`,
    `bulk_update()`) only of `changes` and `object_repr` inside `core.audit.redaction()`.
    The database's triggers refuse the same (see `core.audit_protection`)."""

    def update(self, **kwargs: Any) -> int:
        audit_protection.check_update(kwargs)
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only")


class AuditEvent(models.Model):
    """One line of the append-only audit log.

    Scoped to its organisation. Events of no organisation (sign-ins, password and two-factor
    changes) are outside every scope: the places that read them across organisations do so
    under `scopes_disabled()` and say why.
    """

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = ScopedManager(
        _manager_class=models.Manager.from_queryset(AuditEventQuerySet),
        organisation="organisation",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="audit_org_time"),
            models.Index(fields=["subject_user", "-created_at"], name="audit_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Audit events are append-only")

    @property
    def action_label(self) -> str:
        """The action in words, in the reader's language ("Group changed")."""
        if self.action in AUDIT_ACTION_LABELS:
            return str(AUDIT_ACTION_LABELS[self.action])
        app_label, _dot, rest = self.action.partition(".")
        model_name, _dot, verb = rest.rpartition(".")
        if verb in AUDIT_VERB_LABELS:
            from django.apps import apps

            try:
                model = apps.get_model(app_label, model_name)
            except LookupError:
                return self.action
            name = str(model._meta.verbose_name)
            return str(AUDIT_VERB_LABELS[verb]) % {"object": name[:1].upper() + name[1:]}
        return self.action
