"""Rooms from a file: a CSV or XLSX sheet of rooms (building, floor, number, beds, accessible)
is checked row by row and added with `services.rooms_add`; the rows in error are reported."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop

from fangkong.core.access import Cap, require
from fangkong.core.tabular import (
    E_EXTRA_CELLS,
    E_REQUIRED,
    Columns,
    FileProblem,
    ImportResult,
    RowError,
    open_table,
)
from fangkong.quarantine.models import (
    Site,
)
from fangkong.quarantine.sites.selectors import require_site
from fangkong.quarantine.sites.services import (
    FLOORS,
    MAX_BEDS,
    MAX_IMPORT_ROWS,
    RoomsAdded,
    RoomSpec,
    floor_range,
    rooms_add,
)

# Rooms from a file --------------------------------------------------------------------------

ROOM_COLUMNS = Columns(
    names=("building", "floor", "number", "beds", "accessible"),
    chinese={
        "building": "楼栋",
        "floor": "楼层",
        "number": "房间号",
        "beds": "床位",
        "accessible": "无障碍",
    },
    aliases={
        "building": ("楼栋", "楼号", "楼", "building", "block"),
        "floor": ("楼层", "层", "floor", "storey"),
        "number": ("房间号", "房号", "房间", "number", "room", "roomnumber"),
        "beds": ("床位", "床位数", "床数", "beds", "bedcount"),
        "accessible": ("无障碍", "无障碍房间", "accessible", "accessibility"),
    },
    required=("floor", "number"),
)
YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "无", "n", "no", "false", "0", ""}

E_FLOOR = gettext_noop("Floor must be a whole number such as 3 or -1")
E_FLOOR_RANGE = gettext_noop("Floors are numbered %(low)s to %(high)s")
E_BEDS = gettext_noop("Beds must be a whole number from 1 to %(max)s")
E_ACCESSIBLE = gettext_noop("Write 是 or 否 (yes or no)")
E_NUMBER_LONG = gettext_noop("A room number has 1 to 20 characters")
E_BUILDING_LONG = gettext_noop("A building name has at most 20 characters")
E_ROOM_TWICE = gettext_noop("This room already appears in row %(row)s")
E_TOO_MANY_ROOMS = gettext_noop("A file may hold at most %(max)s rooms")
E_NO_ROOMS = gettext_noop("There are no rooms in this file")


@dataclass
class RoomImportResult(ImportResult):
    added: RoomsAdded = field(default_factory=RoomsAdded)


def _int_cell(text: str) -> int | None:
    try:
        return int(text.strip().rstrip("层F楼f"))
    except ValueError:
        return None


def _room_row(
    number: int, cells: list[str], positions: dict[str, int], headers: dict[str, str], width: int
) -> tuple[RoomSpec | None, list[RowError]]:
    def cell(canon: str) -> str:
        i = positions.get(canon)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    errors: list[RowError] = []

    def bad(canon: str, message: str, params: dict[str, Any] | None = None) -> None:
        errors.append(
            RowError(number, headers.get(canon, canon), cell(canon), message, params or {})
        )

    room_number = cell("number")
    building = cell("building")
    if not room_number:
        bad("number", E_REQUIRED)
    elif len(room_number) > 20:
        bad("number", E_NUMBER_LONG)
    if len(building) > 20:
        bad("building", E_BUILDING_LONG)
    floor = _int_cell(cell("floor"))
    if not cell("floor"):
        bad("floor", E_REQUIRED)
    elif floor is None:
        bad("floor", E_FLOOR)
    elif not FLOORS[0] <= floor <= FLOORS[1]:
        bad("floor", E_FLOOR_RANGE, floor_range())
    beds = _int_cell(cell("beds") or "1")
    if beds is None or not 1 <= beds <= MAX_BEDS:
        bad("beds", E_BEDS, {"max": MAX_BEDS})
    access = cell("accessible").lower()
    if access not in YES and access not in NO:
        bad("accessible", E_ACCESSIBLE)
    if len(cells) > width and any(cells[width:]):
        errors.append(RowError(number, "", "", E_EXTRA_CELLS))
    if errors:
        return None, errors
    assert floor is not None and beds is not None
    return RoomSpec(building, floor, room_number, beds, access in YES), []


def _read_room_file(path: Path, result: RoomImportResult) -> list[RoomSpec]:
    table = open_table(path)
    rows = table.rows
    positions, header = ROOM_COLUMNS.positions(table.header)
    headers = {canon: header[i] for canon, i in positions.items()}
    specs: list[RoomSpec] = []
    first_row: dict[tuple[str, str], int] = {}
    for number, cells, _lossy in rows:
        if not any(cells):
            continue
        result.rows_read += 1
        if result.rows_read > MAX_IMPORT_ROWS:
            raise FileProblem(RowError(number, "", "", E_TOO_MANY_ROOMS, {"max": MAX_IMPORT_ROWS}))
        spec, errors = _room_row(number, cells, positions, headers, len(header))
        result.errors.extend(errors)
        if spec is None:
            continue
        key = (spec.building, spec.number)
        if key in first_row:
            column = headers.get("number", "number")
            params = {"row": first_row[key]}
            result.errors.append(RowError(number, column, spec.number, E_ROOM_TWICE, params))
            continue
        first_row[key] = number
        specs.append(spec)
    if not specs and not result.errors:
        raise FileProblem(RowError(0, "", "", E_NO_ROOMS))
    return specs


def rooms_import(
    *, actor: Any, site: Site, path: str | Path, filename: str = ""
) -> RoomImportResult:
    """Rooms of a site from a CSV/XLSX file (楼栋, 楼层, 房间号, 床位, 无障碍): every row is
    checked first, any bad row stops the file with its row, column and reason; importing the
    same file again changes nothing."""
    require(actor, Cap.QUARANTINE_MANAGE)
    require_site(actor, site)
    path = Path(path)
    result = RoomImportResult(filename=filename or path.name)
    try:
        specs = _read_room_file(path, result)
    except FileProblem as problem:
        result.errors.append(problem.error)
        return result
    if result.ok:
        result.added = rooms_add(actor=actor, site=site, rooms=specs, source=result.filename)
        result.written = True
    return result
