import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    """Requests sent before they carried a valid time: identified when requested (one UPDATE)."""
    apps.get_model("epi", "ContactRequest").objects.update(identified_at=F("requested_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("epi", "0006_valid_times"),
    ]

    operations = [
        migrations.AddField(
            model_name="contactrequest",
            name="identified_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="identified at"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
