"""The health-code models, moved from the epi app with their tables and data.

The tables exist already (made by epi's migrations): this migration only tells Django's state
that they are the healthcode app's now (Meta.db_table keeps their names).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("epi", "0005_healthcode_moved_out"),
        ("people", "0003_search_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Appeal",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "colour_appealed",
                            models.CharField(
                                choices=[("red", "Red"), ("yellow", "Yellow"), ("green", "Green")],
                                max_length=8,
                            ),
                        ),
                        ("rule_appealed", models.CharField(blank=True, max_length=64)),
                        ("statement", models.TextField(verbose_name="statement")),
                        (
                            "contact_phone",
                            models.CharField(
                                blank=True, max_length=20, verbose_name="contact phone"
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("open", "Open"),
                                    ("upheld", "Upheld (status corrected)"),
                                    ("rejected", "Rejected"),
                                ],
                                default="open",
                                max_length=10,
                                verbose_name="status",
                            ),
                        ),
                        ("decision", models.TextField(blank=True, verbose_name="decision")),
                        ("decided_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "division_key",
                            models.CharField(db_index=True, editable=False, max_length=24),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "decided_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "person",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="code_appeals",
                                to="people.resident",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "appeal",
                        "verbose_name_plural": "appeals",
                        "db_table": "epi_appeal",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="CodeOverride",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "colour",
                            models.CharField(
                                choices=[("red", "Red"), ("yellow", "Yellow"), ("green", "Green")],
                                max_length=8,
                                verbose_name="colour",
                            ),
                        ),
                        ("reason", models.TextField(verbose_name="reason")),
                        ("basis", models.CharField(max_length=300, verbose_name="basis")),
                        (
                            "valid_until",
                            models.DateTimeField(blank=True, null=True, verbose_name="valid until"),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "division_key",
                            models.CharField(db_index=True, editable=False, max_length=24),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "person",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="code_overrides",
                                to="people.resident",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "epi_codeoverride",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="CodeStatus",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "colour",
                            models.CharField(
                                choices=[("red", "Red"), ("yellow", "Yellow"), ("green", "Green")],
                                max_length=8,
                                verbose_name="colour",
                            ),
                        ),
                        ("rule", models.CharField(blank=True, max_length=64, verbose_name="rule")),
                        ("facts", models.JSONField(blank=True, default=list)),
                        ("since", models.DateTimeField(verbose_name="since")),
                        (
                            "until",
                            models.DateTimeField(blank=True, null=True, verbose_name="until"),
                        ),
                        ("profile_code", models.CharField(blank=True, max_length=40)),
                        ("overridden", models.BooleanField(default=False)),
                        (
                            "division_key",
                            models.CharField(db_index=True, editable=False, max_length=24),
                        ),
                        ("computed_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("verify_token", models.CharField(max_length=32, unique=True)),
                        (
                            "person",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="code_status",
                                to="people.resident",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "health-code status",
                        "verbose_name_plural": "health-code statuses",
                        "db_table": "epi_codestatus",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
