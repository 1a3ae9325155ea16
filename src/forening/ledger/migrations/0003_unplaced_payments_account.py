"""Associations seeded before payments existed get the "unplaced payments" account."""

from django.db import migrations


def add_account(apps, schema_editor):
    from forening.ledger import chart

    Organisation = apps.get_model("core", "Organisation")
    Account = apps.get_model("ledger", "Account")
    for organisation in Organisation.objects.all():
        accounts = Account.objects.filter(organisation=organisation)
        if not accounts.exists() or accounts.filter(role="unplaced_payments").exists():
            continue
        seed = next(
            s for s in chart.chart_for(organisation.country) if s.role == "unplaced_payments"
        )
        language = "da" if organisation.country == "DK" else "sv"
        existing = accounts.filter(number=seed.number).first()
        if existing is not None:
            existing.role = "unplaced_payments"
            existing.save(update_fields=["role"])
        else:
            Account.objects.create(
                organisation=organisation,
                number=seed.number,
                name=getattr(seed, f"name_{language}"),
                kind=seed.kind,
                role=seed.role,
            )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_seed_charts")]

    operations = [migrations.RunPython(add_account, migrations.RunPython.noop)]
