"""Two times on every fact: a zone's change keeps when it was entered (system time) beside
when it happened (`at`, valid time). Changes written before were entered when they happened
(one UPDATE)."""

import django.db.models.functions.datetime
from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    apps.get_model("zones", "ZoneChange").objects.update(recorded_at=F("at"))


class Migration(migrations.Migration):
    dependencies = [
        ("zones", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="zonechange",
            name="recorded_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                editable=False,
                verbose_name="recorded at",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
