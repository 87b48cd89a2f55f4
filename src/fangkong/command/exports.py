"""Streamed exports of the lists behind the figures: CSV row by row, XLSX in write-only mode,
through the shared writer (`fangkong.core.tabular`: formulas neutralised, text stored as text).

Rows are read in chunks from a server-side cursor (`QuerySet.iterator`), so memory stays flat
at any size up to `settings.EXPORT_MAX_ROWS`. A CSV starts flowing with the first chunk; an
XLSX is written row by row to a temporary file (openpyxl's write-only mode) and then sent
from disk. Each export is an audit event naming the list, its filters, the row count and
whether identifiers were unmasked (then with the reason, and one `pii.exported` event per
person shown, written in bulk, so the reveal is in each person's history).
"""

import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

from fangkong.audit.services import event_record
from fangkong.command.lists import Column, Context, FigureList
from fangkong.command.places import Node
from fangkong.core.tabular import CsvOut, xlsx_append
from fangkong.people.reveals import export_reveals_record, new_export_id

CHUNK = 2000
FLUSH_CHARS = 64 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Revealed:
    """The people whose identifiers an unmasked export shows: one `pii.exported` event each,
    written in bulk every CHUNK rows (a person on several rows counts once)."""

    def __init__(self, user: Any, figure: FigureList, columns: list[Column], ctx: Context):
        self.user, self.figure, self.ctx = user, figure, ctx
        self.paths = sorted({c.person for c in columns if c.personal and c.person})
        self.export_id = new_export_id()
        self.seen: set[int] = set()
        self.pending: list[tuple[int, str, str]] = []

    def add(self, row: dict[str, Any]) -> None:
        if not self.ctx.reveal:
            return
        for path in self.paths:
            pk = row[f"{path}__id"]
            if pk is not None and pk not in self.seen:
                self.seen.add(pk)
                self.pending.append((pk, row[f"{path}__division_key"], row[f"{path}__name"]))
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            export_reveals_record(
                actor=self.user,
                people=self.pending,
                reason=self.ctx.reason,
                export=f"command.{self.figure.name}",
                export_id=self.export_id,
            )
            self.pending = []


def _cells(
    rows: Iterable[Any], columns: list[Column], ctx: Context, revealed: _Revealed
) -> Iterator[list[Any]]:
    for row in rows:
        revealed.add(row)
        yield [column.value(row, ctx) for column in columns]


def _record(
    user: Any,
    figure: FigureList,
    node: Node,
    params: dict[str, str],
    rows: int,
    ctx: Context,
    revealed: _Revealed,
) -> None:
    revealed.flush()
    event_record(
        actor=user,
        action="command.exported",
        object_type="command.list",
        object_id=figure.name,
        division_key=node.key,
        reason=ctx.reason,
        data={
            "place": node.key,
            "as_of": ctx.at.isoformat(),
            "filters": params,
            "rows": rows,
            "unmasked": ctx.reveal,
            "people": len(revealed.seen),
            "export_id": revealed.export_id,
        },
    )


def _filename(figure: FigureList, node: Node, ctx: Context, ext: str) -> str:
    stamp = timezone.localtime(ctx.at).strftime("%Y%m%d-%H%M")
    return f"{figure.name}-{node.code or 'all'}-{stamp}.{ext}"


def csv_response(
    user: Any,
    figure: FigureList,
    node: Node,
    qs: QuerySet[Any],
    ctx: Context,
    params: dict[str, str],
) -> StreamingHttpResponse:
    columns = figure.columns()
    limited = figure.values(qs, columns)[: settings.EXPORT_MAX_ROWS]
    revealed = _Revealed(user, figure, columns, ctx)

    def stream() -> Iterator[str]:
        buffer = io.StringIO()
        writer = CsvOut(buffer)
        count = 0
        try:
            buffer.write("\ufeff")  # spreadsheet programs read UTF-8 with a BOM
            writer.writerow([str(c.header) for c in columns])
            for cells in _cells(limited.iterator(chunk_size=CHUNK), columns, ctx, revealed):
                writer.writerow(cells)
                count += 1
                if buffer.tell() >= FLUSH_CHARS:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()
        finally:
            _record(user, figure, node, params, count, ctx, revealed)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(figure, node, ctx, "csv")}"'
    )
    return response


def xlsx_response(
    user: Any,
    figure: FigureList,
    node: Node,
    qs: QuerySet[Any],
    ctx: Context,
    params: dict[str, str],
) -> FileResponse:
    columns = figure.columns()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(str(figure.title)[:31])
    xlsx_append(ws, [str(c.header) for c in columns])
    count = 0
    rows = figure.values(qs, columns)[: settings.EXPORT_MAX_ROWS]
    revealed = _Revealed(user, figure, columns, ctx)
    for cells in _cells(rows.iterator(chunk_size=CHUNK), columns, ctx, revealed):
        xlsx_append(ws, [_excel(v) for v in cells])
        count += 1
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    wb.save(out)
    out.seek(0)
    _record(user, figure, node, params, count, ctx, revealed)
    response = FileResponse(
        out, as_attachment=True, filename=_filename(figure, node, ctx, "xlsx"), content_type=XLSX
    )
    response["X-Row-Count"] = str(count)
    return response


def _excel(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    return value
