"""Indexes that let a search page be answered by walking one index in order.

PostgreSQL only uses a plain index for LIKE 'x%' and ORDER BY together under the "C"
collation, so the search columns get expression indexes with COLLATE "C" (the queries in
people.selectors use the same expression). SQLite compares bytes already and gets plain
composite indexes. Neither form can be written in Model.Meta for both databases.
"""

from django.db import migrations

COLUMNS = ("name", "name_initials", "name_pinyin", "id_number", "phone")


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for column in COLUMNS:
        name = f"resident_search_{column}"
        if vendor == "postgresql":
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS {name} ON people_resident (("{column}" COLLATE "C"), id)'
            )
        else:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS {name} ON people_resident ("{column}", id)'
            )


def drop(apps, schema_editor):
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS resident_search_{column}")


class Migration(migrations.Migration):
    dependencies = [("people", "0002_residency")]

    operations = [migrations.RunPython(create, drop)]
