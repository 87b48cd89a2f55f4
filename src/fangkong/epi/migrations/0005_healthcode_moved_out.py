"""The health-code models moved to the healthcode app: only Django's state forgets them here.

No table is dropped: healthcode/migrations/0001_initial.py takes over the same tables
(epi_codestatus, epi_codeoverride, epi_appeal) with their data.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("epi", "0004_contact_requests"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="codeoverride",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="codeoverride",
                    name="person",
                ),
                migrations.RemoveField(
                    model_name="codestatus",
                    name="person",
                ),
                migrations.DeleteModel(
                    name="Appeal",
                ),
                migrations.DeleteModel(
                    name="CodeOverride",
                ),
                migrations.DeleteModel(
                    name="CodeStatus",
                ),
            ],
            database_operations=[],
        ),
    ]
