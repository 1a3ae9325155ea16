"""Associations seeded before the cash method was supported get its interim account."""

from django.db import migrations
from django_scopes import scopes_disabled

ROLE = "cash_method_interim"


def add_account(apps, schema_editor):
    from forening.ledger import chart

    Organisation = apps.get_model("core", "Organisation")
    Account = apps.get_model("ledger", "Account")
    with scopes_disabled():
        for organisation in Organisation.objects.all().iterator():
            accounts = Account.objects.filter(organisation=organisation)
            if not accounts.exists() or accounts.filter(role=ROLE).exists():
                continue
            try:
                seeds = chart.chart_for(organisation.country)
            except ValueError:  # a chart of its own, from no default: nothing to follow
                continue
            seed = next(s for s in seeds if s.role == ROLE)
            language = "da" if organisation.country == "DK" else "sv"
            existing = accounts.filter(number=seed.number).first()
            if existing is None:
                Account.objects.create(
                    organisation=organisation,
                    number=seed.number,
                    name=getattr(seed, f"name_{language}"),
                    kind=seed.kind,
                    role=seed.role,
                )
            elif not existing.role:
                existing.role = ROLE
                existing.save(update_fields=["role"])
            # An account of its own on that number with another role is left alone: the
            # office chooses one in the chart before switching to the cash method.


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_unplaced_payments_account")]

    operations = [migrations.RunPython(add_account, migrations.RunPython.noop)]
