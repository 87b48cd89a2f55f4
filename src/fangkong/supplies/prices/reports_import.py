"""Price reports from a file (CSV or XLSX, through `core.tabular`): every row is checked first
(store, item, day, unit, price, stock, arrivals); any bad row stops the file with its row,
column and reason and nothing is written; importing the same file again changes nothing
(one report per store, item and day)."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop

from fangkong.core.access import Cap, can
from fangkong.core.tabular import (
    E_EXTRA_CELLS,
    E_REQUIRED,
    Columns,
    FileProblem,
    ImportResult,
    RowError,
    open_table,
)
from fangkong.supplies.prices import selectors
from fangkong.supplies.prices.models import ReportSource, Store
from fangkong.supplies.prices.services import (
    E_DAY,
    E_STORE,
    E_STORE_TWICE,
    E_UNKNOWN_ITEM,
    ReportIn,
    catalogue_index,
    necessity_named,
    price_reports_record,
    report_problems,
)

MAX_IMPORT_ROWS = 20_000
E_TWICE = gettext_noop("This store, item and day already appear in row %(row)s")
E_NO_REPORTS = gettext_noop("There are no reports in this file")
E_TOO_MANY = gettext_noop("A file may hold at most %(max)s reports")

REPORT_COLUMNS = Columns(
    names=("store", "item", "day", "unit", "price", "stock", "arrivals"),
    chinese={
        "store": "监测点",
        "item": "品种",
        "day": "日期",
        "unit": "单位",
        "price": "价格",
        "stock": "库存",
        "arrivals": "到货量",
    },
    aliases={
        "store": ("监测点", "门店", "网点", "store", "storeid", "监测点编号"),
        "item": ("品种", "品名", "商品", "item", "necessity", "product"),
        "day": ("日期", "报送日期", "day", "date"),
        "unit": ("单位", "计量单位", "unit"),
        "price": ("价格", "零售价", "单价", "price", "retailprice"),
        "stock": ("库存", "库存量", "stock"),
        "arrivals": ("到货量", "到货", "进货量", "arrivals", "arrived"),
    },
    required=("store", "item", "day", "price", "stock"),
)


@dataclass
class PriceImportResult(ImportResult):
    created: int = 0
    changed: int = 0


def _day(text: str) -> dt.date | None:
    text = text.strip().replace("/", "-").replace(".", "-")
    for candidate in (text, text[:10]):
        try:
            return dt.date.fromisoformat(candidate)
        except ValueError:
            continue
    return None


class _Stores:
    """The caller's stores by number and by name (a name two stores share is refused)."""

    def __init__(self, actor: Any) -> None:
        cap = Cap.SUPPLIES_MANAGE if can(actor, Cap.SUPPLIES_MANAGE) else Cap.SUPPLY_ENTERPRISE
        stores = list(selectors.stores_for_user(actor, cap))
        self.by_pk = {str(s.pk): s for s in stores}
        self.by_name: dict[str, list[Store]] = {}
        for s in stores:
            self.by_name.setdefault(s.name, []).append(s)

    def find(self, text: str) -> tuple[Store | None, str]:
        if text in self.by_pk:
            return self.by_pk[text], ""
        named = self.by_name.get(text, [])
        if len(named) == 1:
            return named[0], ""
        return None, E_STORE_TWICE if named else E_STORE


def _row(
    number: int,
    cells: list[str],
    positions: dict[str, int],
    headers: dict[str, str],
    stores: _Stores,
    catalogue: dict[str, Any],
) -> tuple[ReportIn | None, list[RowError]]:
    def cell(canon: str) -> str:
        i = positions.get(canon)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    errors: list[RowError] = []

    def bad(canon: str, message: str, params: dict[str, Any] | None = None) -> None:
        errors.append(
            RowError(number, headers.get(canon, canon), cell(canon), message, params or {})
        )

    for canon in REPORT_COLUMNS.required:
        if not cell(canon):
            bad(canon, E_REQUIRED)
    if errors:
        return None, errors
    store, problem = stores.find(cell("store"))
    if store is None:
        bad("store", problem, {"value": cell("store")})
    item = necessity_named(cell("item"), catalogue)
    if item is None:
        bad("item", E_UNKNOWN_ITEM, {"value": cell("item")})
    day = _day(cell("day"))
    if day is None:
        bad("day", E_DAY)
    if item is not None:
        values, problems = report_problems(
            item,
            price=cell("price"),
            stock=cell("stock"),
            arrivals=cell("arrivals"),
            unit=cell("unit"),
            day=day,
        )
        for p in problems:
            bad(p.field, p.message, p.params)
    if errors or store is None or item is None or day is None:
        return None, errors
    return ReportIn(store, item, day, values["price"], values["stock"], values["arrivals"]), []


def _read(path: Path, actor: Any, result: PriceImportResult) -> list[ReportIn]:
    table = open_table(path)
    positions, header = REPORT_COLUMNS.positions(table.header)
    headers = {canon: header[i] for canon, i in positions.items()}
    stores, catalogue = _Stores(actor), catalogue_index()
    reports: list[ReportIn] = []
    first_row: dict[tuple[int, int, dt.date], int] = {}
    for number, cells, _lossy in table.rows:
        if not any(cells):
            continue
        result.rows_read += 1
        if result.rows_read > MAX_IMPORT_ROWS:
            raise FileProblem(RowError(number, "", "", E_TOO_MANY, {"max": MAX_IMPORT_ROWS}))
        report, errors = _row(number, cells, positions, headers, stores, catalogue)
        for error in errors:
            result.add_error(error)
        if len(cells) > len(header) and any(cells[len(header) :]):
            result.add_error(RowError(number, "", "", E_EXTRA_CELLS))
        if report is None:
            continue
        key = (report.store.pk, report.necessity.pk, report.day)
        if key in first_row:
            params = {"row": first_row[key]}
            result.add_error(
                RowError(
                    number, headers["item"], cell_of(cells, positions, "item"), E_TWICE, params
                )
            )
            continue
        first_row[key] = number
        reports.append(report)
    if not reports and result.ok:
        raise FileProblem(RowError(0, "", "", E_NO_REPORTS))
    return reports


def cell_of(cells: list[str], positions: dict[str, int], canon: str) -> str:
    i = positions.get(canon)
    return cells[i] if i is not None and i < len(cells) else ""


def price_reports_import(*, actor: Any, path: str | Path, filename: str = "") -> PriceImportResult:
    """Reports from a CSV/XLSX file (监测点, 品种, 日期, 单位, 价格, 库存, 到货量), all or none."""
    path = Path(path)
    result = PriceImportResult(filename=filename or path.name)
    try:
        reports = _read(path, actor, result)
    except FileProblem as problem:
        result.add_error(problem.error)
        return result
    if result.ok:
        result.created, result.changed = price_reports_record(
            actor=actor, reports=reports, source=ReportSource.FILE, filename=result.filename
        )
        result.written = True
    return result
