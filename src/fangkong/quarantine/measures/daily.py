"""The daily job of measures (`quarantine_daily`, run after midnight by the task
`quarantine.tasks.run_quarantine_daily` or the `quarantine_daily` command): test days passed
without a sample are marked missed, home check-ins not made are recorded as missed, and tubes'
results are copied onto their test days."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.core import changes
from fangkong.core.bulk import copy_rows
from fangkong.quarantine.measures.selectors import (
    CHECK,
    HOME_KINDS,
    TEST,
    negative_tube_q,
    positive_tube_q,
)
from fangkong.quarantine.models import (
    STAY_OPEN,
    DueTestStatus,
    HealthCheck,
    MeasurePhase,
    MeasureStatus,
    ScheduledTest,
    Stay,
)

ONE_DAY = dt.timedelta(days=1)

# The daily job ----------------------------------------------------------------------------------


def event_row(
    actor: Any,
    now: dt.datetime,
    action: str,
    obj: tuple[str, int, str],
    person_id: int,
    key: str,
    change: tuple[str, str, str] = ("", "", ""),
    reason: str = "",
) -> EventRow:
    """One row for `events_record_bulk`: obj = (type, id, label), change = (field, from, to)."""
    user_id, name = actor_columns(actor)
    object_type, pk, label = obj
    field_name, old, new = change
    return EventRow(
        at=now,
        actor=user_id,
        actor_name=name,
        action=action,
        object_type=object_type,
        object_id=str(pk),
        object_label=label[:200],
        person_id=person_id,
        division_key=key,
        field=field_name,
        from_value=old,
        to_value=str(new)[:300],
        reason=reason[:300],
    )


@transaction.atomic
def tests_mark_missed(today: dt.date) -> int:
    """Tests still due after their day become missed (one update, one event each)."""
    qs = ScheduledTest.objects.filter(
        status=DueTestStatus.DUE, due_on__lt=today, measure__status=MeasureStatus.ACTIVE
    )
    rows = list(qs.values_list("pk", "person_id", "division_key", "due_on"))
    if not rows:
        return 0
    ScheduledTest.objects.filter(pk__in=[r[0] for r in rows]).update(status=DueTestStatus.MISSED)
    now = timezone.now()
    events_record_bulk(
        event_row(
            None,
            now,
            "test.missed",
            (TEST, pk, f"{person} {due}"),
            person,
            key,
            ("status", DueTestStatus.DUE, DueTestStatus.MISSED),
        )
        for pk, person, key, due in rows
    )
    changes.changed("person", [r[1] for r in rows])
    return len(rows)


CHECK_FIELDS = (
    "measure",
    "person",
    "day",
    "temperature",
    "symptoms",
    "symptom_other",
    "abnormal",
    "missed",
    "note",
    "recorded_at",
    "division_key",
)


@transaction.atomic
def checkins_mark_missed(today: dt.date) -> int:
    """Each day of a home phase before `today` with no check gets a "missed" check row.

    Counted from the day the measure started (`started_at`, its valid time; not the anchor) and
    only for people not in a site room; rows are written columnar, with one event each.
    """
    phases = (
        MeasurePhase.objects.filter(
            kind__in=HOME_KINDS, first_day__lt=today, measure__status=MeasureStatus.ACTIVE
        )
        .exclude(
            measure__person_id__in=Stay.objects.filter(status__in=STAY_OPEN).values("person_id")
        )
        .values_list(
            "measure_id",
            "measure__person_id",
            "measure__division_key",
            "first_day",
            "last_day",
            "measure__started_at",
        )
    )
    wanted: list[tuple[int, int, str, dt.date]] = []
    for measure_id, person_id, key, first, last, started in phases:
        day = max(first, timezone.localdate(started))
        while day <= min(last, today - ONE_DAY):
            wanted.append((measure_id, person_id, key, day))
            day += ONE_DAY
    if not wanted:
        return 0
    have = set(
        HealthCheck.objects.filter(
            measure_id__in={w[0] for w in wanted}, day__gte=min(w[3] for w in wanted)
        ).values_list("measure_id", "day")
    )
    missing = [w for w in wanted if (w[0], w[3]) not in have]
    if not missing:
        return 0
    now = timezone.now()
    copy_rows(
        HealthCheck,
        CHECK_FIELDS,
        ((m, p, day, None, "[]", "", False, True, "", now, key) for m, p, key, day in missing),
    )
    pairs = {(m, day) for m, _p, _k, day in missing}
    written = [
        row
        for row in HealthCheck.objects.filter(
            missed=True, measure_id__in={p[0] for p in pairs}, day__gte=min(p[1] for p in pairs)
        ).values_list("pk", "person_id", "division_key", "day", "measure_id")
        if (row[4], row[3]) in pairs
    ]
    events_record_bulk(
        event_row(
            None,
            now,
            "health_check.missed",
            (CHECK, pk, f"{person} {day}"),
            person,
            key,
            ("missed", "", "true"),
        )
        for pk, person, key, day, _m in written
    )
    return len(missing)


@transaction.atomic
def tests_sync_results() -> int:
    """Store the tube's result on tests taken and not yet resulted (negative / positive)."""
    taken = ScheduledTest.objects.filter(status=DueTestStatus.SAMPLED, tube__isnull=False)
    changed = 0
    now = timezone.now()
    events = []
    for state, condition in (
        (DueTestStatus.NEGATIVE, negative_tube_q()),
        (DueTestStatus.POSITIVE, positive_tube_q()),
    ):
        rows = list(taken.filter(condition).values_list("pk", "person_id", "division_key"))
        ScheduledTest.objects.filter(pk__in=[r[0] for r in rows]).update(
            status=state, resulted_at=now
        )
        changed += len(rows)
        events += [
            event_row(
                None,
                now,
                "test.resulted",
                (TEST, pk, str(person)),
                person,
                key,
                ("status", DueTestStatus.SAMPLED, state),
            )
            for pk, person, key in rows
        ]
    events_record_bulk(events)
    return changed


def quarantine_daily(today: dt.date | None = None) -> dict[str, int]:
    """Run once a day (after midnight): results in, missed tests and missed check-ins."""
    today = today or timezone.localdate()
    return {
        "results": tests_sync_results(),
        "missed_tests": tests_mark_missed(today),
        "missed_checkins": checkins_mark_missed(today),
    }
