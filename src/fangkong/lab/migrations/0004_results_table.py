"""Results move from columns of lab_tube to an append-only table, lab_result; rounds get
running coverage figures (lab_roundtally), counted here for the rounds there are.

Results already stored on tubes are carried over, each to the upload its "tube.resulted"
event names (else the first upload of the tube's lab). On PostgreSQL the barcode key gets
the "C" collation and no second pattern-ops index, and `upload_id` a BRIN index (uploads are
appended in id order, so the index stays a few pages whatever the table's size); SQLite gets a
plain index on `upload_id`. Neither form can be written in Model.Meta for both databases.
"""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 5000


def _upload_of(tube, events, first_upload):
    upload = (events.get(str(tube.pk)) or {}).get("upload") or first_upload.get(tube.lab_id)
    if upload is None:
        raise RuntimeError(f"Tube {tube.barcode} has a result but no upload to file it under")
    return upload


def carry_results(apps, schema_editor):
    Tube = apps.get_model("lab", "Tube")
    Result = apps.get_model("lab", "Result")
    ResultUpload = apps.get_model("lab", "ResultUpload")
    Event = apps.get_model("audit", "Event")
    first_upload: dict[int, int] = {}
    for lab_id, pk in ResultUpload.objects.order_by("-uploaded_at").values_list("lab_id", "pk"):
        first_upload[lab_id] = pk
    tubes = Tube.objects.exclude(outcome="").order_by("pk")
    batch = []
    for tube in tubes.iterator(chunk_size=BATCH):
        batch.append(tube)
        if len(batch) >= BATCH:
            _carry(Result, Event, batch, first_upload)
            batch = []
    _carry(Result, Event, batch, first_upload)


def _carry(Result, Event, tubes, first_upload):
    if not tubes:
        return
    events = dict(
        Event.objects.filter(
            action="tube.resulted", object_type="lab.tube", object_id__in=[str(t.pk) for t in tubes]
        ).values_list("object_id", "data")
    )
    Result.objects.bulk_create(
        Result(
            tube_id=t.barcode,
            upload_id=_upload_of(t, events, first_upload),
            outcome=t.outcome,
            ct_value=t.ct_value,
            tested_at=t.tested_at or t.received_at or t.collected_at,
        )
        for t in tubes
    )


def count_tallies(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO lab_roundtally (round_id, division_key, sampled, resulted)"
        " SELECT m.round_id, m.division_key, count(*), count(r.barcode)"
        " FROM lab_tubemember m JOIN lab_tube t ON t.id = m.tube_id"
        " LEFT JOIN lab_result r ON r.barcode = t.barcode"
        " WHERE m.round_id IS NOT NULL GROUP BY m.round_id, m.division_key"
    )


def storage(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # CreateModel left the pattern-ops index for the end of the migration: drop it there.
        schema_editor.deferred_sql = [
            sql
            for sql in schema_editor.deferred_sql
            if not ("lab_result" in str(sql) and "varchar_pattern_ops" in str(sql))
        ]
        schema_editor.execute(
            'ALTER TABLE lab_result ALTER COLUMN barcode TYPE varchar(40) COLLATE "C"'
        )
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS lab_result_upload ON lab_result USING brin (upload_id)"
        )
    else:
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS lab_result_upload ON lab_result (upload_id)"
        )


def storage_back(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS lab_result_upload")


class Migration(migrations.Migration):
    dependencies = [
        ("lab", "0003_risk_post_workers"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Result",
            fields=[
                (
                    "tube",
                    models.OneToOneField(
                        db_column="barcode",
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="result",
                        serialize=False,
                        to="lab.tube",
                        to_field="barcode",
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[("negative", "Negative"), ("positive", "Positive")],
                        max_length=10,
                        verbose_name="result",
                    ),
                ),
                ("ct_value", models.FloatField(blank=True, null=True, verbose_name="Ct value")),
                ("tested_at", models.DateTimeField(verbose_name="tested at")),
                (
                    "upload",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="results",
                        to="lab.resultupload",
                    ),
                ),
            ],
            options={
                "verbose_name": "test result",
                "verbose_name_plural": "Lab results",
            },
        ),
        migrations.RunPython(carry_results, migrations.RunPython.noop),
        migrations.RemoveField(model_name="tube", name="ct_value"),
        migrations.RemoveField(model_name="tube", name="outcome"),
        migrations.RemoveField(model_name="tube", name="tested_at"),
        migrations.RunPython(storage, storage_back),
        migrations.AddConstraint(
            model_name="tubemember",
            constraint=models.UniqueConstraint(
                fields=("round", "person"), name="member_once_a_round"
            ),
        ),
        migrations.CreateModel(
            name="RoundTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("division_key", models.CharField(max_length=24)),
                ("sampled", models.PositiveIntegerField(default=0)),
                ("resulted", models.PositiveIntegerField(default=0)),
                (
                    "round",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tallies",
                        to="lab.testinground",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("round", "division_key"), name="round_tally_once"
                    )
                ],
            },
        ),
        migrations.RunPython(count_tallies, migrations.RunPython.noop),
    ]
