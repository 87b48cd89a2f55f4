"""How people and places read on pages and in exports."""

import datetime as dt

from fangkong.places.models import Division, Level


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def place_label(division: Division) -> str:
    """'幸福小区 1号楼 1单元' from a unit (select division__parent__parent to avoid queries)."""
    names = [division.name]
    node = division.parent if division.level > Level.COMPOUND else None
    while node is not None and node.level >= Level.COMPOUND:
        names.insert(0, node.name)
        node = node.parent if node.level > Level.COMPOUND else None
    return " ".join(names)
