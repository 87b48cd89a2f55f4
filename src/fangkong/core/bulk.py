"""Columnar writes: COPY on PostgreSQL, executemany on SQLite. Never one ORM save per row."""

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models


def table_columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    return [model._meta.get_field(f).column for f in fields]  # type: ignore[union-attr,misc]


def _sqlite_values(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Iterator[Sequence[Any]]:
    """Store datetimes the way the ORM does on SQLite (naive UTC text), so rows compare alike."""
    adapt = connection.ops.adapt_datetimefield_value
    stamps = [
        i
        for i, f in enumerate(fields)
        if model._meta.get_field(f).get_internal_type() == "DateTimeField"
    ]
    if not stamps:
        yield from rows
        return
    for row in rows:
        values = list(row)
        for i in stamps:
            if isinstance(values[i], datetime):
                values[i] = adapt(values[i])
        yield values


def copy_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Append rows (tuples in `fields` order) to the model's table; return how many."""
    table = model._meta.db_table
    columns = table_columns(model, fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            sql = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:  # psycopg 3
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            rows = _sqlite_values(model, fields, rows)
            marks = ", ".join("%s" for _ in columns)
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({marks})"
            batch: list[Sequence[Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= 5000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Set `fields` of many rows at once, each row `(pk, *values in fields order)`: one
    `UPDATE … FROM json_to_recordset(…)` on PostgreSQL (the rows as one JSON text: psycopg
    quotes Python lists into arrays slowly, json.dumps is C), executemany on SQLite. Returns
    how many rows were given."""
    if not rows:
        return 0
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    columns = table_columns(model, fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            pk = model._meta.pk
            assert pk is not None
            kinds = [model._meta.get_field(f).db_type(connection) for f in fields]
            shape = ", ".join(["pk bigint", *(f"c{i} {kind}" for i, kind in enumerate(kinds))])
            sets = ", ".join(f"{q(c)} = v.c{i}" for i, c in enumerate(columns))
            sql = (
                f"UPDATE {table} AS t SET {sets} FROM json_to_recordset(%s::json) AS v({shape})"
                f" WHERE t.{q(str(pk.column))} = v.pk"
            )
            keys = ["pk", *(f"c{i}" for i in range(len(fields)))]
            cursor.execute(
                sql, [json.dumps([dict(zip(keys, row, strict=True)) for row in rows], default=str)]
            )
        else:
            sets = ", ".join(f"{q(c)} = %s" for c in columns)
            sql = f"UPDATE {table} SET {sets} WHERE id = %s"
            moved = ((*values[1:], values[0]) for values in rows)
            cursor.executemany(sql, list(_sqlite_values(model, [*fields, "id"], moved)))
    return len(rows)


def reset_sequence(model: type[models.Model]) -> None:
    """After COPY with explicit ids, move PostgreSQL's id sequence past the largest id."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


def analyze(*models: type[models.Model]) -> None:
    """Refresh planner statistics after a bulk load, so the first searches use the indexes."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


# Changes of many rows at once ----------------------------------------------------------------

# Rows read, checked and written per statement (SQLite allows 32,766 parameters).
STATUS_CHUNK = 10_000


@dataclass
class StatusBatch:
    """What a bulk change did: ids `changed`, ids already as asked (`unchanged`), and ids
    `refused` with the reason. When any is refused nothing was written."""

    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)

    @property
    def written(self) -> bool:
        return not self.refused and bool(self.changed)

    def answer(self) -> dict[str, Any]:
        """The API's answer: counts, and each refused id with its reason."""
        return {
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "refused": [{"id": i, "reason": r} for i, r in sorted(self.refused.items())],
        }


def chunks[T](ids: Sequence[T], size: int = STATUS_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
