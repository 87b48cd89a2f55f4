"""Open tubes are stored: a tube is open (still being filled at its site) or sealed.

Tubes already in the table are sealed (whatever a phone's session held of them is gone); a
sampler may reopen one that is still at its site, with a reason. The partial index serves the
sampling page's list of open tubes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lab", "0006_lab_registry"),
    ]

    operations = [
        migrations.AddField(
            model_name="tube",
            name="fill",
            field=models.CharField(
                choices=[("open", "Open"), ("sealed", "Sealed")],
                default="sealed",
                max_length=8,
                verbose_name="open or sealed",
            ),
        ),
        migrations.AddField(
            model_name="tube",
            name="sealed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sealed at"),
        ),
        migrations.AddIndex(
            model_name="tube",
            index=models.Index(
                condition=models.Q(("fill", "open")),
                fields=["division_key", "collected_at"],
                name="tube_open_place",
            ),
        ),
    ]
