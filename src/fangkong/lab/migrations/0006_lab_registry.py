"""The laboratories' registry: the area a lab serves, its capacity per day, turnaround class,
address, contact, active flag and staff. Existing labs keep working: no capacity declared
(null), routine turnaround, serving their own place (`Lab.served_key`), in use, no staff (a lab
account then sees no lab until the command centre puts it on one's staff)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lab", "0005_tube_barcode_bytewise"),
        ("places", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="lab",
            name="active",
            field=models.BooleanField(default=True, verbose_name="active"),
        ),
        migrations.AddField(
            model_name="lab",
            name="address",
            field=models.CharField(blank=True, max_length=300, verbose_name="address"),
        ),
        migrations.AddField(
            model_name="lab",
            name="area",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="labs_serving",
                to="places.division",
                verbose_name="area served",
            ),
        ),
        migrations.AddField(
            model_name="lab",
            name="area_key",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=24),
        ),
        migrations.AddField(
            model_name="lab",
            name="capacity_per_day",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="capacity per day (tubes)"
            ),
        ),
        migrations.AddField(
            model_name="lab",
            name="contact_name",
            field=models.CharField(blank=True, max_length=60, verbose_name="contact person"),
        ),
        migrations.AddField(
            model_name="lab",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddField(
            model_name="lab",
            name="phone",
            field=models.CharField(blank=True, max_length=20, verbose_name="phone"),
        ),
        migrations.AddField(
            model_name="lab",
            name="staff",
            field=models.ManyToManyField(
                blank=True, related_name="labs", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="lab",
            name="turnaround",
            field=models.CharField(
                choices=[
                    ("fever_clinic", "Fever-clinic standard"),
                    ("outpatient", "Outpatient standard"),
                    ("voluntary", "Routine standard"),
                ],
                default="voluntary",
                max_length=16,
                verbose_name="turnaround class",
            ),
        ),
    ]
