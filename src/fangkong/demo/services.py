"""Build and remove the synthetic demo city.

`demo_generate` streams the tree depth-first and writes every table in chunks with
`copy_rows`, so memory stays flat from 1k to 10M residents.
"""

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.utils.translation import gettext as _

from fangkong.accounts.models import User
from fangkong.audit.models import Event
from fangkong.core.bulk import analyze, copy_rows, reset_sequence
from fangkong.demo import data
from fangkong.demo.accounts import DEMO_USERNAMES, demo_accounts_create
from fangkong.demo.assistance import assistance_write
from fangkong.demo.care import dispatch_write, facilities_write, lines_write, plans_write
from fangkong.demo.clock import Clock
from fangkong.demo.labs import labs_write
from fangkong.demo.orders import orders_write
from fangkong.demo.outbreak import Checkins, checkins_write, outbreak_write
from fangkong.demo.people import (
    HOUSEHOLD_FIELDS,
    KEY_PERSON_FIELDS,
    NEED_FIELDS,
    RESIDENT_FIELDS,
    VENUE_FIELDS,
    Populator,
)
from fangkong.demo.prices import prices_write
from fangkong.demo.response import response_write
from fangkong.demo.supplies import supplies_write
from fangkong.demo.tree import DIVISION_FIELDS, OUTLINE_FIELDS, TreeBuilder
from fangkong.epi.models import CheckIn
from fangkong.people.models import Household, KeyPerson, Need, Resident
from fangkong.places.models import Division, Level, Outline, Venue
from fangkong.quarantine.models import AllocationBatch
from fangkong.supplies.orders.models import Product
from fangkong.tally.services import clear as tally_clear
from fangkong.tally.services import rebuild as tally_rebuild

CHUNK = 50_000
FLUSH_CHECKINS = 200_000
# AllocationBatch refers to people only inside its JSON plan: listed so it goes with them.
DEMO_TABLES: list[type[models.Model]] = [
    Need,
    KeyPerson,
    Resident,
    Household,
    Venue,
    Event,
    AllocationBatch,
    Product,  # the demo's catalogue of packages (orders/)
]


class DemoError(Exception):
    pass


@dataclass
class DemoStats:
    divisions: int = 0
    outlines: int = 0
    households: int = 0
    residents: int = 0
    key_persons: int = 0
    needs: int = 0
    venues: int = 0
    checkins: int = 0
    cases: int = 0
    contacts: int = 0
    labs: int = 0
    supply_enterprises: int = 0
    price_reports: int = 0
    supply_orders: int = 0
    quarantine_sites: int = 0
    rooms: int = 0
    in_quarantine: int = 0
    zones: int = 0
    travellers: int = 0
    seconds: float = 0.0
    levels: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.residents / self.seconds if self.seconds else 0.0


@contextmanager
def _indexes_built_afterwards(models_: list[type[models.Model]]) -> Iterator[None]:
    """Drop plain secondary indexes of empty tables, load, then build them in one sort.

    Unique and primary-key indexes stay, so constraints are checked while loading.
    Run inside the loading transaction: a failure rolls the drop back too.
    """
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            marks = ", ".join("%s" for _ in tables)
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                f" AND sql NOT LIKE 'CREATE UNIQUE%%' AND tbl_name IN ({marks})",
                tables,
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s)"
                " AND i.schemaname = current_schema() AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'",
                [tables],
            )
        found = cursor.fetchall() if connection.vendor in ("sqlite", "postgresql") else []
        for name, _sql in found:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        if found and connection.vendor == "postgresql":  # CREATE INDEX needs no pending checks
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, sql in found:
            cursor.execute(sql)
        if found and connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def demo_data_present() -> bool:
    return Resident.objects.exists() or Division.objects.exists()


def demo_generate(
    *,
    residents: int,
    seed: int,
    progress: Callable[[str], None] | None = None,
    checkins_per_day: float = 1.0,
    outbreak: bool = True,
    as_of: dt.date | None = None,
) -> DemoStats:
    """Write the demo city for `residents` people and `seed` into empty tables.

    Every date derives from `as_of` (default: today's local date); rows are stamped at
    08:00 that day, so the same residents, seed and as-of date give the same rows.
    With `outbreak`, also venue check-ins of the 14 days before it (`checkins_per_day` per
    adult who scans codes) and an outbreak in 魏都区: cases, household contacts, codes.
    """
    clock = Clock(as_of) if as_of is not None else Clock.today()
    if residents < len(data.DISTRICTS):
        raise DemoError(_("The demo city needs at least %d residents.") % len(data.DISTRICTS))
    started = time.perf_counter()
    stats = DemoStats()
    created_at = connection.ops.adapt_datetimefield_value(clock.created_at)
    people = Populator(seed, created_at, clock.as_of)
    divisions: list[tuple[object, ...]] = []
    outlines: list[tuple[object, ...]] = []
    landmarks: list[tuple[str, str]] = []
    scans = Checkins(seed, residents, checkins_per_day, clock) if outbreak else None

    def flush() -> None:
        stats.divisions += copy_rows(Division, DIVISION_FIELDS, divisions)
        stats.outlines += copy_rows(Outline, OUTLINE_FIELDS, outlines)
        stats.venues += copy_rows(Venue, VENUE_FIELDS, people.venues)
        stats.households += copy_rows(Household, HOUSEHOLD_FIELDS, people.households)
        stats.residents += copy_rows(Resident, RESIDENT_FIELDS, people.residents)
        stats.key_persons += copy_rows(KeyPerson, KEY_PERSON_FIELDS, people.key_persons)
        stats.needs += copy_rows(Need, NEED_FIELDS, people.needs)
        if scans is not None:
            stats.checkins += checkins_write(scans.take_rows())
        for buffer in (
            divisions,
            outlines,
            people.venues,
            people.households,
            people.residents,
            people.key_persons,
            people.needs,
        ):
            buffer.clear()
        if progress:
            elapsed = time.perf_counter() - started
            progress(
                _("%(done)s of %(total)s residents, %(rate)s residents/s")
                % {
                    "done": f"{stats.residents:,}",
                    "total": f"{residents:,}",
                    "rate": f"{stats.residents / elapsed:,.0f}",
                }
            )

    loaded = [Resident, Household, KeyPerson, Need, CheckIn]
    with transaction.atomic():
        with _indexes_built_afterwards(loaded):
            for node in TreeBuilder(residents, seed).walk():
                divisions.append(node.row())
                outline = node.outline_row()
                if outline is not None:
                    outlines.append(outline)
                stats.levels[node.level] = stats.levels.get(node.level, 0) + 1
                if scans is not None:
                    scans.node(node)
                if node.level == Level.DISTRICT:
                    landmarks = data.DISTRICT_LANDMARKS.get(data.DISTRICTS[node.district][0], [])
                elif node.level == Level.GRID:
                    before = len(people.venues)
                    people.add_venues(node, landmarks)
                    if scans is not None:
                        scans.add_venues(people.venues[before:], len(landmarks))
                    landmarks = []
                elif node.level == Level.UNIT:
                    before = len(people.residents)
                    people.fill_unit(node)
                    if scans is not None:
                        scans.add_residents(people.residents[before:])
                        if len(scans.rows) >= FLUSH_CHECKINS:
                            stats.checkins += checkins_write(scans.take_rows())
                    if len(people.residents) >= CHUNK:
                        flush()
            if scans is not None:
                scans.end_community()
            flush()
            for model in (Division, Venue, Household, Resident, KeyPerson, Need, CheckIn):
                reset_sequence(model)
        demo_accounts_create()
        stats.labs = labs_write(
            actor=User.objects.get(username="command"), staff=User.objects.get(username="lab")
        )
        stats.supply_enterprises = supplies_write(
            actor=User.objects.get(username="command"), staff=User.objects.get(username="supply")
        )
        stats.price_reports = prices_write(actor=User.objects.get(username="command"))
        facilities_write(
            actor=User.objects.get(username="command"), staff=User.objects.get(username="hospital")
        )
        lines_write(actor=User.objects.get(username="street"))
        plans_write(actor=User.objects.get(username="grid"), as_of=clock.as_of)
        assistance_write(
            filer=User.objects.get(username="grid"),
            decider=User.objects.get(username="street"),
            clock=clock,
        )
        dispatch_write(
            actor=User.objects.get(username="command"),
            dispatcher=User.objects.get(username="dispatcher"),
            hospital=User.objects.get(username="hospital"),
        )
        if scans is not None:
            if progress:
                progress(_("Writing the outbreak: cases, contacts and health codes…"))
            command = User.objects.get(username="command")
            made = outbreak_write(scans, seed=seed, actor=command)
            stats.cases, stats.contacts = made.cases, made.contacts
            stats.checkins -= made.checkins_dropped
            if progress:
                progress(_("Writing the response: quarantine sites, rooms, a zone, arrivals…"))
            answer = response_write(
                clock=clock,
                seed=seed,
                actor=command,
                manager=User.objects.get(username="quarantine"),
            )
            stats.quarantine_sites, stats.rooms = answer.sites, answer.rooms
            stats.in_quarantine, stats.zones = answer.allocated, answer.zones
            stats.travellers = answer.travellers
        if stats.supply_enterprises:
            stats.supply_orders = orders_write(
                actor=User.objects.get(username="command"),
                staff=User.objects.get(username="supply"),
            )
        tally_rebuild()  # the command dashboard's running counts, from the rows just written
    analyze(Division, Outline, Venue, Household, Resident, KeyPerson, Need, CheckIn)
    stats.seconds = time.perf_counter() - started
    return stats


def _dependents() -> list[type[models.Model]]:
    """Demo tables plus every table that points at them (cases, check-ins, …), users aside.

    Reverse relations include foreign keys without a database constraint (check-ins) and hidden
    ones; the link tables of many-to-many fields (a finding job's cases) are added too.
    """
    found: list[type[models.Model]] = list(DEMO_TABLES)
    queue: list[type[models.Model]] = [*DEMO_TABLES, Division]

    def add(other: object) -> None:
        if isinstance(other, type) and other not in found and other not in (User, Division):
            found.append(other)
            queue.append(other)

    while queue:
        model = queue.pop()
        # Hidden reverse relations too (a foreign key with related_name="+", e.g. a medicine
        # batch's pharmacy): `related_objects` leaves them out, and TRUNCATE refuses to leave them.
        for rel in model._meta.get_fields(include_hidden=True):
            if not (rel.is_relation and rel.auto_created and not rel.concrete):
                continue
            add(rel.related_model)
            if isinstance(rel, models.ManyToManyRel):
                add(rel.through)
        for m2m in model._meta.local_many_to_many:
            add(m2m.remote_field.through)
    return found


def demo_clear() -> None:
    """Delete the demo city: its tables, whatever refers to them, audit events, demo users."""
    tables = [m._meta.db_table for m in _dependents()]
    quote = connection.ops.quote_name
    with transaction.atomic():
        scoped = (
            User.objects.filter(jurisdiction__isnull=False)
            .exclude(username__in=DEMO_USERNAMES)
            .count()
        )
        if scoped:
            raise DemoError(
                _("%d other users have a jurisdiction in the city; remove them first.") % scoped
            )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # TRUNCATE refuses tables with deferred FK checks pending in this transaction.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {', '.join(quote(t) for t in tables)}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for table in tables:
                    cursor.execute(f"DELETE FROM {quote(table)}")
            cursor.execute(f"DELETE FROM {quote(Division._meta.db_table)}")
        tally_clear()
        # After the tables: finding jobs and overrides refer to their users (PROTECT).
        User.objects.filter(username__in=DEMO_USERNAMES).delete()
