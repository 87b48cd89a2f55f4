"""On PostgreSQL, tube barcodes sort byte-wise (the "C" collation), as lab_result's do.

The results import reads only the tubes within an upload's barcode range, computed in Python
byte-wise; with the database's own collation the range could leave out tubes that sort
differently. The pattern-ops index Django adds for LIKE is not needed under "C" (the unique
index serves prefix searches) and is dropped. SQLite compares text byte-wise already.
"""

from django.db import migrations


def bytewise(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'lab_tube'"
            " AND indexdef LIKE '%%(barcode varchar_pattern_ops)%%'"
        )
        for (name,) in cursor.fetchall():
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    schema_editor.execute('ALTER TABLE lab_tube ALTER COLUMN barcode TYPE varchar(40) COLLATE "C"')


def back(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'ALTER TABLE lab_tube ALTER COLUMN barcode TYPE varchar(40) COLLATE "default"'
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS lab_tube_barcode_like ON lab_tube (barcode varchar_pattern_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [("lab", "0004_results_table")]

    operations = [migrations.RunPython(bytewise, back)]
