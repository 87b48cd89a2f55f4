"""The command dashboard's running counts of cases and contacts: what each row adds to the
figures, moment by moment (`fangkong.tally` keeps the sums; docs/command.md, "Running counts").

A unit has a state at every moment T: the figures it counts in as the registry held it at T,
by the rules of the command dashboard (docs/command.md, "As of a moment"): rows count from
the time they happened (a case's `registered_at`, a contact's `identified_at`: valid times,
docs/architecture.md "Two times on every fact"); statuses are read back through the audit
events (`fangkong.audit.history`).
`state(T)` is written straight from those rules, for T and for T − 24 hours ("new", "before").

Contacts are kept by degree and status only: what else the dashboard shows of them comes
from the sums at T and 24 hours before (`fangkong.command.tallied`).
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models

from fangkong.audit.history import (
    DAY,
    History,
    Sql,
    as_day,
    as_moment,
    changed_since,
    histories_of,
    text_in,
    value_at,
    with_changes,
    with_histories,
)
from fangkong.core.db import in_ids
from fangkong.epi.models import Case, CaseKind, CaseStatus, Contact, ContactStatus
from fangkong.places.models import KEY_LENGTH, Level

# (width, key, figure): width 0 for a figure of the row's own place (any view cuts the key),
# else a figure counted per area of that key width (rooms in use).
Figure = tuple[int, str, str]


# The widths of the areas the command views count by (district, street, community; the
# tally's views, `fangkong.tally.store.WIDTHS`, checked equal there): keys are kept no longer.
WIDTHS = tuple(KEY_LENGTH[lv] for lv in (Level.DISTRICT, Level.STREET, Level.COMMUNITY))
KEY_WIDTH = max(WIDTHS)


# Cases -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class CaseUnit:
    id: int
    key: str
    where: str
    created: dt.datetime
    transferred: dt.datetime | None
    kind: str
    status: str
    onset: dt.date | None
    reported: dt.date
    kinds: History
    statuses: History


class Cases:
    name = "case"
    columns = (
        "id",
        "division_key",
        "found_where",
        "registered_at",
        "transferred_at",
        "kind",
        "status",
        "onset_on",
        "reported_on",
    )
    tracked: dict[str, type[models.TextChoices]] = {"kind": CaseKind, "status": CaseStatus}

    def _units(self, rows: Sequence[Sequence[Any]], ids: Any) -> list[CaseUnit]:
        return self._build(rows, histories_of("epi.case", self.tracked, ids))

    def _build(
        self, rows: Sequence[Sequence[Any]], history: dict[tuple[int, str], History]
    ) -> list[CaseUnit]:
        empty = History()
        return [
            CaseUnit(
                id=pk,
                key=key[:KEY_WIDTH],
                where=where,
                created=created,
                transferred=transferred,
                kind=kind,
                status=status,
                onset=onset,
                reported=reported,
                kinds=history.get((pk, "kind"), empty),
                statuses=history.get((pk, "status"), empty),
            )
            for pk, key, where, created, transferred, kind, status, onset, reported in rows
        ]

    def load(self, ids: Sequence[int], *, lock: bool = False) -> list[CaseUnit]:
        qs = Case.objects.filter(pk__in=in_ids(ids)).order_by("pk")
        rows = list((qs.select_for_update() if lock else qs).values_list(*self.columns))
        return self._units(rows, text_in(ids))

    def chunks(self) -> Iterator[list[CaseUnit]]:
        rows = Case.objects.values_list(*self.columns)
        for batch, history in with_histories(rows, "epi.case", self.tracked):
            yield self._build(batch, history)

    def changing(self, prefix: str, lo: dt.datetime, hi: dt.datetime) -> list[CaseUnit]:
        """Cases whose state may differ between `lo` and `hi` (within an hour): registered,
        transferred or changed then or a day before (one query)."""
        sql, q = Sql(), Sql.q
        table = q(Case._meta.db_table)
        mine = sql.prefix(q("division_key"), prefix)
        picked = (
            f"SELECT id FROM {table} WHERE {mine} AND "
            f"{sql.and_a_day_before(q('registered_at'), lo, hi)} UNION "
            f"SELECT id FROM {table} WHERE {sql.prefix(q('division_key'), prefix)} AND "
            f"{sql.and_a_day_before(q('transferred_at'), lo, hi)} UNION "
            + changed_since(sql, "epi.case", self.tracked, lo, hi)
        )
        rows, history = with_changes(sql, Case, self.columns, picked, "epi.case", self.tracked)
        mine_only = [r for r in rows if r[1].startswith(prefix)]
        converted = [
            (
                r[0],
                r[1],
                r[2],
                as_moment(r[3]),
                as_moment(r[4]),
                r[5],
                r[6],
                as_day(r[7]),
                as_day(r[8]),
            )
            for r in mine_only
        ]
        return self._build(converted, history)

    def moments(self, u: CaseUnit) -> list[dt.datetime]:
        out = [u.created, u.created + DAY, *u.statuses.times, *u.kinds.times]
        out.extend(t + DAY for t in u.kinds.times)
        if u.transferred is not None:
            out.extend((u.transferred, u.transferred + DAY))
        return out

    def state(self, u: CaseUnit, at: dt.datetime) -> list[Figure]:
        if u.created > at:
            return []
        since = at - DAY
        key, where = u.key, u.where
        kind = value_at(u.kinds.times, u.kinds.was, u.kind, at)
        names = ["cases", kind, f"{kind}_{where}"]
        if u.created > since:
            names += ["cases_new", f"{kind}_new", f"{kind}_new_{where}"]
        elif kind == CaseKind.CONFIRMED and (
            value_at(u.kinds.times, u.kinds.was, u.kind, since) == CaseKind.ASYMPTOMATIC
        ):
            names.append("reclassified_new")
        if u.transferred is not None and u.transferred <= at:
            names.append("transferred")
            if u.transferred > since:
                names.append("transferred_new")
        names.append(f"case_{value_at(u.statuses.times, u.statuses.was, u.status, at)}")
        if u.onset is not None:
            names.append(f"onset|{u.onset.isoformat()}|{kind}")
        names.append(f"reported|{u.reported.isoformat()}|{kind}")
        return [(0, key, n) for n in names]


# Contacts --------------------------------------------------------------------------------------


@dataclass(slots=True)
class ContactUnit:
    id: int
    key: str
    degree: str
    created: dt.datetime
    status: str
    statuses: History


class Contacts:
    name = "contact"
    columns = ("id", "division_key", "degree", "identified_at", "status")
    tracked: dict[str, type[models.TextChoices]] = {"status": ContactStatus}

    def _units(self, rows: Sequence[Sequence[Any]], ids: Any) -> list[ContactUnit]:
        return self._build(rows, histories_of("epi.contact", self.tracked, ids))

    def _build(
        self, rows: Sequence[Sequence[Any]], history: dict[tuple[int, str], History]
    ) -> list[ContactUnit]:
        empty = History()
        return [
            ContactUnit(
                pk, key[:KEY_WIDTH], degree, created, status, history.get((pk, "status"), empty)
            )
            for pk, key, degree, created, status in rows
        ]

    def load(self, ids: Sequence[int], *, lock: bool = False) -> list[ContactUnit]:
        qs = Contact.objects.filter(pk__in=in_ids(ids)).order_by("pk")
        rows = list((qs.select_for_update() if lock else qs).values_list(*self.columns))
        return self._units(rows, text_in(ids))

    def chunks(self) -> Iterator[list[ContactUnit]]:
        rows = Contact.objects.values_list(*self.columns)
        for batch, history in with_histories(rows, "epi.contact", self.tracked):
            yield self._build(batch, history)

    def changing(self, prefix: str, lo: dt.datetime, hi: dt.datetime) -> list[ContactUnit]:
        """Contacts identified or changed in (lo, hi] or a day before (one query)."""
        sql, q = Sql(), Sql.q
        picked = (
            f"SELECT id FROM {q(Contact._meta.db_table)} WHERE "
            f"{sql.prefix(q('division_key'), prefix)} AND "
            f"{sql.and_a_day_before(q('identified_at'), lo, hi)} UNION "
            + changed_since(sql, "epi.contact", self.tracked, lo, hi)
        )
        rows, history = with_changes(
            sql, Contact, self.columns, picked, "epi.contact", self.tracked
        )
        converted = [
            (r[0], r[1], r[2], as_moment(r[3]), r[4]) for r in rows if r[1].startswith(prefix)
        ]
        return self._build(converted, history)

    def moments(self, u: ContactUnit) -> list[dt.datetime]:
        return [u.created, *u.statuses.times]

    def state(self, u: ContactUnit, at: dt.datetime) -> list[Figure]:
        """A contact counts by degree and status; what a reader derives from these (in all,
        not yet under control, new in the day, status a day before) it takes from the sums at
        the moment and a day before (`fangkong.command.tallied`)."""
        if u.created > at:
            return []
        status = value_at(u.statuses.times, u.statuses.was, u.status, at)
        return [(0, u.key, f"{u.degree}_{status}")]


SUBJECTS = (Cases(), Contacts())
