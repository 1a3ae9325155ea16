"""Every existing association gets the default chart of accounts for its country."""

from django.db import migrations


def seed(apps, schema_editor):
    from forening.ledger import chart

    Organisation = apps.get_model("core", "Organisation")
    Account = apps.get_model("ledger", "Account")
    LedgerSettings = apps.get_model("ledger", "LedgerSettings")
    have = set(Account.objects.values_list("organisation_id", flat=True).distinct())
    for organisation in Organisation.objects.exclude(pk__in=have):
        language = "da" if organisation.country == "DK" else "sv"
        Account.objects.bulk_create(
            Account(
                organisation=organisation,
                number=seed.number,
                name=getattr(seed, f"name_{language}"),
                kind=seed.kind,
                role=seed.role or "",
            )
            for seed in chart.chart_for(organisation.country)
        )
        LedgerSettings.objects.get_or_create(organisation=organisation)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
