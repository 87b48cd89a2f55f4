"""Rejected rows: any import can offer the rows it refused as a file to download.

An importer that writes only the valid rows of a file keeps the refused ones, as they were
read, with their errors (`RejectedFile`, under a random token, owned by the user who
imported). The owner downloads them as CSV or XLSX: the same columns plus an error column in
the reader's language (`write_rejected`). Files are kept under `VAR_DIR/imports/` and swept
after `REJECTED_MAX_AGE` (`sweep_rejected`).
"""

import datetime as dt
import io
import json
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import openpyxl
from django.conf import settings
from django.utils.translation import gettext

from fangkong.core.tabular import CsvOut, RowError, xlsx_append

REJECTED_MAX_AGE = dt.timedelta(days=1)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def imports_dir() -> Path:
    """Where rejected-rows files are kept: one folder per token."""
    return Path(settings.VAR_DIR) / "imports"


def sweep_rejected() -> None:
    """Remove the rejected-rows files older than `REJECTED_MAX_AGE`."""
    root = imports_dir()
    if not root.is_dir():
        return
    cutoff = time.time() - REJECTED_MAX_AGE.total_seconds()
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


class RejectedFile:
    """Rejected rows with their errors as JSON lines; rendered to CSV/XLSX when downloaded."""

    def __init__(self, actor: Any, filename: str, header: list[str]) -> None:
        self.token = secrets.token_urlsafe(18)
        self.folder = imports_dir() / self.token
        self.folder.mkdir(parents=True)
        meta = {"user_id": getattr(actor, "pk", None), "filename": filename, "header": header}
        (self.folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
        self.out = (self.folder / "rows.jsonl").open("w", encoding="utf-8")

    def add(self, cells: list[str], errors: list[RowError]) -> None:
        line = {"cells": cells, "errors": [[e.column, e.message, e.params] for e in errors]}
        self.out.write(json.dumps(line, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.out.close()


def discard_rejected(token: str) -> None:
    """Remove a rejected-rows file, e.g. when nothing was written: it would only mislead."""
    shutil.rmtree(imports_dir() / token, ignore_errors=True)


def rejected_owner(token: str) -> int | None:
    """The user who may download these rejected rows, or None if there are none."""
    if not TOKEN_RE.match(token):
        return None
    meta = imports_dir() / token / "meta.json"
    if not meta.is_file():
        return None
    owner = json.loads(meta.read_text()).get("user_id")
    return int(owner) if owner is not None else None


def rejected_filename(token: str, fmt: str) -> str:
    meta = json.loads((imports_dir() / token / "meta.json").read_text())
    stem = Path(meta["filename"]).stem or "import"
    return f"{stem}-rejected.{fmt}"


def _rejected_lines(token: str) -> Iterator[list[str]]:
    folder = imports_dir() / token
    header = json.loads((folder / "meta.json").read_text())["header"]
    yield [*header, gettext("Errors")]
    with (folder / "rows.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            reasons = [
                RowError(0, column, "", message, params)
                for column, message, params in item["errors"]
            ]
            text = "; ".join(f"{e.column}: {e.reason}" if e.column else e.reason for e in reasons)
            cells = item["cells"][: len(header)]
            yield [*cells, *[""] * (len(header) - len(cells)), text]


def write_rejected(token: str, fmt: str, out: IO[bytes]) -> None:
    """Write the rejected rows (same columns plus an error column) in the reader's language."""
    if fmt == "xlsx":
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        for cells in _rejected_lines(token):
            xlsx_append(sheet, cells)
        book.save(out)
        return
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = CsvOut(text)
    for cells in _rejected_lines(token):
        writer.writerow(cells)
    text.detach()
