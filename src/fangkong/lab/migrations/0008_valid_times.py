"""Two times on every fact: tubes and their members keep when they were entered (system time)
beside when they were taken (`collected_at`, `sampled_at`, valid times). Rows written before
were entered when they were taken (one UPDATE each)."""

import django.db.models.functions.datetime
from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    apps.get_model("lab", "Tube").objects.update(recorded_at=F("collected_at"))
    apps.get_model("lab", "TubeMember").objects.update(recorded_at=F("sampled_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("lab", "0007_open_tubes"),
    ]

    operations = [
        migrations.AddField(
            model_name="tube",
            name="recorded_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                editable=False,
                verbose_name="recorded at",
            ),
        ),
        migrations.AddField(
            model_name="tubemember",
            name="recorded_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                editable=False,
                verbose_name="recorded at",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
