"""Writes on citizen requests: take one (operator, WeChat paste, 110 transfer, Open311, the
public form), dispatched at once by the rule in force; release a queued one; accept, note,
complete (the department); call the caller back (confirmation and satisfaction; not solved
sends it back); merge a duplicate into its case; cancel. Every status change is an audit event
with who, when, what, why and the rule behind it.
"""

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.labels import ANONYMOUS, SYSTEM
from fangkong.audit.services import event_record
from fangkong.core.access import NO_SCOPE, Cap, can, in_scope, require, scope_key, scoped
from fangkong.core.dates import check_happened
from fangkong.core.errors import field_error
from fangkong.hotline.classify.engine import PHONE as PHONE_ONLY
from fangkong.hotline.classify.engine import PLACE
from fangkong.hotline.classify.services import classify_text
from fangkong.hotline.dispatch.engine import dispatch_all, due_by
from fangkong.hotline.dispatch.selectors import departments_in_service, staffs_department
from fangkong.hotline.models import (
    OPEN_STATUSES,
    ExampleSource,
    HotlineCategory,
    HotlineChannel,
    HotlineRequest,
    HotlineStatus,
    NoteKind,
    Open311Client,
    RequestNote,
    Satisfaction,
    TrainingExample,
)
from fangkong.people.models import Resident
from fangkong.people.services import clean_phone
from fangkong.places.models import Division, Level
from fangkong.policy.accessor import current

TEXT_MAX = 4000


def find_caller(actor: Any, *, phone: str = "", id_number: str = "") -> Resident | None:
    """The registry's person of the actor's jurisdiction with this ID number, else with this
    phone (the only one with it), else None."""
    number = (id_number or "").strip().upper()
    people = scoped(Resident.objects.all(), actor) if actor not in (SYSTEM, ANONYMOUS) else None
    if people is None:
        people = Resident.objects.all()
    if number:
        found = people.filter(id_number=number).first()
        if found is not None:
            return found
    digits = re.sub(r"\s", "", phone or "")
    if digits:
        matches = list(people.filter(phone=digits)[:2])
        if len(matches) == 1:
            return matches[0]
    return None


def place_division(text: str, within: str = "") -> Division | None:
    """The registry's place a caller names: the compound by its name, and its building when
    given ("幸福小区3号楼"), among the places under `within` (a key prefix)."""
    match = PLACE.search(text or "")
    if match is None:
        return None
    name = match.group("compound") or match.group("alone")
    if not name:
        return None
    compounds = Division.objects.filter(level=Level.COMPOUND, name=name, key__startswith=within)
    compound = compounds.order_by("key").first()
    if compound is None:
        return None
    building = match.group("building")
    if building:
        inside = Division.objects.filter(
            parent=compound, level=Level.BUILDING, name__startswith=building.rstrip("栋幢")
        ).first()
        if inside is not None:
            return inside
    return compound


def _next_number(now: dt.datetime) -> str:
    day = timezone.localtime(now).strftime("%Y%m%d")
    last = HotlineRequest.objects.filter(number__startswith=day).aggregate(m=Max("number"))["m"]
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{day}-{seq:05d}"


def _dispatch(request: HotlineRequest, now: dt.datetime) -> None:
    """Attach the rule in force and the nearest department of its kind (in memory)."""
    policy = current()
    decided = dispatch_all(
        policy.rules.hotline, [request.category], [request.division_key], departments_in_service()
    )[0]
    request.rule_number = decided.rule_number
    request.profile_code, request.profile_version = policy.profile.code, policy.profile.version
    request.sla_minutes = decided.sla_minutes
    request.due_at = due_by(request.happened_at, decided.sla_minutes)
    request.department_id = decided.department_id
    if decided.department_id is not None:
        request.status = HotlineStatus.DISPATCHED
        request.dispatched_at = now
    else:
        request.status = HotlineStatus.RECEIVED


def _root_key() -> str:
    root = Division.objects.filter(parent__isnull=True).order_by("key").first()
    return root.key if root else ""


@transaction.atomic
def request_take(
    *,
    actor: Any,
    channel: str,
    text: str,
    category: str = "",
    caller_name: str = "",
    caller_phone: str = "",
    id_number: str = "",
    place_text: str = "",
    happened_at: dt.datetime | None = None,
    lat: float | None = None,
    lon: float | None = None,
    queued: bool = False,
    client: Open311Client | None = None,
    source_address: str | None = None,
) -> HotlineRequest:
    """Write a request and dispatch it at once (a queued one waits for an operator). The
    classifier's suggestion is kept beside the category chosen; an operator's choice that
    differs is kept as a training example. An empty category takes the suggestion."""
    staff = actor not in (SYSTEM, ANONYMOUS)
    if staff:
        require(actor, Cap.HOTLINE_INTAKE)
        if scope_key(actor) == NO_SCOPE:
            raise field_error("text", _("Your account has no jurisdiction"))
    if channel not in HotlineChannel.values:
        raise field_error("channel", _("Choose the channel"))
    text = (text or "").strip()
    if not text:
        raise field_error("text", _("Say what the caller asks"))
    if len(text) > TEXT_MAX:
        raise field_error("text", _("At most %(n)s characters") % {"n": TEXT_MAX})
    if category and category not in HotlineCategory.values:
        raise field_error("category", _("Choose a category"))
    phone = clean_phone(caller_phone) if caller_phone else ""
    now = timezone.now()
    happened = happened_at or now
    check_happened("happened_at", happened, tolerance=current().rules.records.tolerance, now=now)
    person = find_caller(actor if staff else SYSTEM, phone=phone, id_number=id_number)
    if id_number and person is None and staff:
        raise field_error("id_number", _("No person with this ID number in your jurisdiction"))
    suggestion = classify_text(text)
    place_text = (place_text or suggestion["place"] or "").strip()[:200]
    division = place_division(place_text, scope_key(actor) if staff else "")
    if division is not None:
        key = division.key
    elif person is not None:
        key = person.division_key
    elif staff and scope_key(actor):  # a city-wide superuser's is "": the root below
        key = scope_key(actor)
    else:
        key = _root_key()
    request = HotlineRequest(
        number=_next_number(now),
        channel=channel,
        text=text,
        category=category or suggestion["category"],
        suggested_category=suggestion["category"],
        suggested_confidence=suggestion["confidence"],
        caller_name=(caller_name or (person.name if person else "")).strip()[:60],
        caller_phone=phone or suggestion["phone"],
        person=person,
        place_text=place_text,
        division=division,
        division_key=key,
        lat=lat,
        lon=lon,
        happened_at=happened,
        created_at=now,
        created_by=actor if staff else None,
        client=client,
        source_address=source_address,
    )
    if queued:
        request.status = HotlineStatus.QUEUED
    else:
        _dispatch(request, now)
    request.save()
    if staff and category and category != suggestion["category"]:
        TrainingExample.objects.create(
            text=text,
            category=category,
            suggested=suggestion["category"],
            source=ExampleSource.CORRECTION,
            request=request,
            created_by=actor,
        )
    event_record(
        actor=actor,
        action="hotline.request_taken",
        obj=request,
        person_id=person.pk if person else None,
        field="status",
        from_value="",
        to_value=request.status,
        data={
            "channel": channel,
            "category": request.category,
            "suggested": suggestion["category"],
            "confidence": suggestion["confidence"],
            "rule": request.rule_number,
            "profile": f"{request.profile_code} v{request.profile_version}",
            "department": request.department_id,
        },
        at=happened,
    )
    return request


def _locked(request: HotlineRequest) -> HotlineRequest:
    return HotlineRequest.objects.select_for_update().get(pk=request.pk)


def _move(
    actor: Any,
    request: HotlineRequest,
    status: str,
    *,
    action: str,
    reason: str = "",
    basis: str = "",
    data: dict[str, Any] | None = None,
    fields: tuple[str, ...] = (),
) -> HotlineRequest:
    old = request.status
    request.status = status
    request.save(update_fields=["status", *fields])
    event_record(
        actor=actor,
        action=action,
        obj=request,
        person_id=request.person_id,
        field="status",
        from_value=old,
        to_value=status,
        reason=reason[:300],
        basis=basis,
        data=data,
    )
    return request


def _refuse_move(request: HotlineRequest, status: str) -> None:
    raise field_error(
        "status",
        _("A request %(now)s cannot become %(then)s")
        % {
            "now": HotlineStatus(request.status).label,
            "then": HotlineStatus(status).label,
        },
    )


def _check_scope(actor: Any, request: HotlineRequest) -> None:
    if not (
        in_scope(actor, request.division_key) or staffs_department(actor, request.department_id)
    ):
        raise field_error("request", _("This request is outside your jurisdiction"))


@transaction.atomic
def request_dispatch(*, actor: Any, request: HotlineRequest, reason: str = "") -> HotlineRequest:
    """Dispatch (again) by the rule in force: a received or queued request, or one sent back
    (the 12345 centre; a changed category is the usual reason)."""
    require(actor, Cap.HOTLINE_MANAGE)
    _check_scope(actor, request)
    request = _locked(request)
    if request.status not in (
        HotlineStatus.QUEUED,
        HotlineStatus.RECEIVED,
        HotlineStatus.DISPATCHED,
    ):
        _refuse_move(request, HotlineStatus.DISPATCHED)
    old = request.status
    _dispatch(request, timezone.now())
    if request.status == old == HotlineStatus.RECEIVED:
        raise field_error("department", _("No department of this kind is in service"))
    return _move(
        actor,
        request,
        request.status,
        action="hotline.request_dispatched",
        reason=reason,
        data={"rule": request.rule_number, "department": request.department_id, "from": old},
        fields=(
            "department",
            "rule_number",
            "profile_code",
            "profile_version",
            "sla_minutes",
            "due_at",
            "dispatched_at",
        ),
    )


@transaction.atomic
def request_recategorise(
    *, actor: Any, request: HotlineRequest, category: str, reason: str = ""
) -> HotlineRequest:
    """The 12345 centre corrects the category (kept as a training example) and dispatches the
    request again by the new category's rule."""
    require(actor, Cap.HOTLINE_MANAGE)
    _check_scope(actor, request)
    if category not in HotlineCategory.values:
        raise field_error("category", _("Choose a category"))
    request = _locked(request)
    if request.status not in (
        HotlineStatus.QUEUED,
        HotlineStatus.RECEIVED,
        HotlineStatus.DISPATCHED,
    ):
        raise field_error("category", _("Only a request not yet accepted can change its category"))
    old = request.category
    request.category = category
    request.save(update_fields=["category"])
    TrainingExample.objects.create(
        text=request.text,
        category=category,
        suggested=request.suggested_category,
        source=ExampleSource.CORRECTION,
        request=request,
        created_by=actor,
    )
    event_record(
        actor=actor,
        action="hotline.request_recategorised",
        obj=request,
        person_id=request.person_id,
        field="category",
        from_value=old,
        to_value=category,
        reason=reason[:300],
    )
    if request.status == HotlineStatus.QUEUED:
        return request
    return request_dispatch(actor=actor, request=request, reason=reason)


def _department_acts(actor: Any, request: HotlineRequest) -> None:
    """The department's staff, or the 12345 centre for it."""
    if can(actor, Cap.HOTLINE_MANAGE) and in_scope(actor, request.division_key):
        return
    require(actor, Cap.HOTLINE_HANDLE)
    if not staffs_department(actor, request.department_id):
        raise field_error("request", _("Only the department it was dispatched to may do this"))


@transaction.atomic
def request_accept(*, actor: Any, request: HotlineRequest) -> HotlineRequest:
    _department_acts(actor, request)
    request = _locked(request)
    if request.status != HotlineStatus.DISPATCHED:
        _refuse_move(request, HotlineStatus.ACCEPTED)
    return _move(actor, request, HotlineStatus.ACCEPTED, action="hotline.request_accepted")


@transaction.atomic
def request_note(
    *, actor: Any, request: HotlineRequest, text: str, happened_at: dt.datetime | None = None
) -> RequestNote:
    """A progress note (the department), recorded with when it happened."""
    _department_acts(actor, request)
    text = (text or "").strip()
    if not text:
        raise field_error("text", _("Write the note"))
    if request.status not in (HotlineStatus.DISPATCHED, HotlineStatus.ACCEPTED):
        raise field_error("text", _("Notes are for requests being worked on"))
    now = timezone.now()
    happened = happened_at or now
    check_happened(
        "happened_at",
        happened,
        tolerance=current().rules.records.tolerance,
        after=((request.happened_at, _("Before the request was made")),),
        now=now,
    )
    note = RequestNote.objects.create(
        request=request,
        kind=NoteKind.PROGRESS,
        text=text[:1000],
        happened_at=happened,
        created_at=now,
        author=actor,
    )
    event_record(
        actor=actor,
        action="hotline.request_noted",
        obj=request,
        person_id=request.person_id,
        reason=text[:300],
        at=happened,
    )
    return note


@transaction.atomic
def request_complete(*, actor: Any, request: HotlineRequest, reply: str) -> HotlineRequest:
    """The department says what it did; the request waits for the caller's call back."""
    _department_acts(actor, request)
    reply = (reply or "").strip()
    if not reply:
        raise field_error("reply", _("Say what was done"))
    request = _locked(request)
    if request.status not in (HotlineStatus.DISPATCHED, HotlineStatus.ACCEPTED):
        _refuse_move(request, HotlineStatus.COMPLETED)
    request.completed_at = timezone.now()
    RequestNote.objects.create(
        request=request, kind=NoteKind.PROGRESS, text=reply[:1000], author=actor
    )
    return _move(
        actor,
        request,
        HotlineStatus.COMPLETED,
        action="hotline.request_completed",
        reason=reply,
        fields=("completed_at",),
    )


@transaction.atomic
def request_callback(
    *,
    actor: Any,
    request: HotlineRequest,
    solved: bool,
    satisfaction: int | None,
    note: str = "",
) -> HotlineRequest:
    """The caller called back (回访): solved closes it with their satisfaction; not solved
    sends it back to the department, its clock running from its first deadline."""
    if actor != ANONYMOUS:
        require(actor, Cap.HOTLINE_INTAKE)
        _check_scope(actor, request)
    if satisfaction is not None and satisfaction not in Satisfaction.values:
        raise field_error("satisfaction", _("Choose how satisfied the caller is"))
    if solved and satisfaction is None:
        raise field_error("satisfaction", _("Choose how satisfied the caller is"))
    request = _locked(request)
    if request.status != HotlineStatus.COMPLETED:
        raise field_error("solved", _("Only a completed request is confirmed by its caller"))
    text = (note or "").strip()
    if text or actor != ANONYMOUS:
        RequestNote.objects.create(
            request=request,
            kind=NoteKind.CALLBACK,
            text=(text or (_("Solved") if solved else _("Not solved")))[:1000],
            author=actor if actor != ANONYMOUS else None,
        )
    request.confirmed = solved
    request.satisfaction = satisfaction
    if solved:
        return _move(
            actor,
            request,
            HotlineStatus.CLOSED,
            action="hotline.request_confirmed",
            reason=text,
            data={"satisfaction": satisfaction},
            fields=("confirmed", "satisfaction"),
        )
    request.completed_at = None
    return _move(
        actor,
        request,
        HotlineStatus.DISPATCHED,
        action="hotline.request_reopened",
        reason=text or _("Not solved, says the caller"),
        data={"satisfaction": satisfaction},
        fields=("confirmed", "satisfaction", "completed_at"),
    )


@transaction.atomic
def request_merge(
    *, actor: Any, duplicate: HotlineRequest, into: HotlineRequest, reason: str = ""
) -> HotlineRequest:
    """Merge a duplicate into the case it repeats: the duplicate closes as merged, its caller
    stays on the case (the case lists every caller), and the case keeps its own clock."""
    require(actor, Cap.HOTLINE_MANAGE)
    _check_scope(actor, duplicate)
    _check_scope(actor, into)
    if duplicate.pk == into.pk:
        raise field_error("into", _("A request cannot be merged into itself"))
    duplicate, into = _locked(duplicate), _locked(into)
    if into.status not in OPEN_STATUSES or into.merged_into_id is not None:
        raise field_error("into", _("Merge into an open request"))
    if duplicate.status not in OPEN_STATUSES:
        raise field_error("request", _("Only an open request can be merged"))
    # The duplicate's own merged callers follow it into the case.
    HotlineRequest.objects.filter(merged_into=duplicate).update(merged_into=into)
    duplicate.merged_into = into
    return _move(
        actor,
        duplicate,
        HotlineStatus.MERGED,
        action="hotline.request_merged",
        reason=reason,
        data={"into": into.pk, "number": into.number},
        fields=("merged_into",),
    )


@transaction.atomic
def request_cancel(*, actor: Any, request: HotlineRequest, reason: str) -> HotlineRequest:
    require(actor, Cap.HOTLINE_MANAGE)
    _check_scope(actor, request)
    if not (reason or "").strip():
        raise field_error("reason", _("Give a reason"))
    request = _locked(request)
    if request.status not in OPEN_STATUSES:
        _refuse_move(request, HotlineStatus.CANCELLED)
    return _move(
        actor, request, HotlineStatus.CANCELLED, action="hotline.request_cancelled", reason=reason
    )


def public_over_limit(*, address: str | None, phone: str, now: dt.datetime) -> bool:
    """Whether a public submission goes over the policy's limits (per address an hour, per
    phone a day): it is then queued for an operator, never dropped."""
    rules = current().rules.hotline
    web = HotlineRequest.objects.filter(channel=HotlineChannel.WEB)
    if address:
        count = web.filter(
            source_address=address, created_at__gte=now - dt.timedelta(hours=1)
        ).count()
        if count >= rules.public_per_address_per_hour:
            return True
    if phone:
        count = web.filter(caller_phone=phone, created_at__gte=now - dt.timedelta(days=1)).count()
        if count >= rules.public_per_phone_per_day:
            return True
    return False


def public_submit(
    *, text: str, phone: str, name: str = "", place_text: str = "", address: str | None = None
) -> HotlineRequest:
    """A request from the public web form (no login): dispatched at once, or queued for an
    operator when over the limits."""
    phone = clean_phone(phone) if phone else ""
    if not phone:
        raise field_error("phone", _("Give a phone number we can call you back on"))
    over = public_over_limit(address=address, phone=phone, now=timezone.now())
    return request_take(
        actor=ANONYMOUS,
        channel=HotlineChannel.WEB,
        text=text,
        caller_name=name,
        caller_phone=phone,
        place_text=place_text,
        queued=over,
        source_address=address,
    )


# A WeChat group copied as text: each message starts on a line of its own with the sender,
# a time, or both ("张三 10:23", "[10:23] 张三:", "张三："); blank lines also separate.
_SENDER = re.compile(
    r"^\s*(?:\[?\d{1,2}:\d{2}(?::\d{2})?\]?\s*)?(?P<name>[^\s:：\[\]]{1,20})?\s*"
    r"(?:\d{1,2}:\d{2}(?::\d{2})?)?\s*[:：]\s*(?P<rest>.*)$"
)
_TIME_LINE = re.compile(r"^\s*(?P<name>[^\s:：]{1,20})\s+\d{1,2}:\d{2}(?::\d{2})?\s*$")
PASTE_MAX = 200  # messages in one paste


def wechat_split(text: str) -> list[tuple[str, str]]:
    """(sender, message) of each message of a pasted group chat, in order."""
    out: list[tuple[str, list[str]]] = []
    for line in (text or "").splitlines():
        if not line.strip():
            if out and out[-1][1]:
                out.append(("", []))
            continue
        header = _TIME_LINE.match(line)
        if header:
            out.append((header.group("name"), []))
            continue
        said = _SENDER.match(line)
        if said and said.group("name") and said.group("rest"):
            out.append((said.group("name"), [said.group("rest")]))
            continue
        if not out:
            out.append(("", []))
        out[-1][1].append(line.strip())
    return [(name, " ".join(lines)) for name, lines in out if " ".join(lines).strip()]


def _same(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


@transaction.atomic
def wechat_paste(*, actor: Any, text: str) -> tuple[list[HotlineRequest], int]:
    """Each message of a pasted WeChat group becomes a request (classified, placed and
    dispatched as a call is); a message repeated in the paste, or already taken as an open
    request within the duplicate window, is left out. Returns the requests made and how many
    were left out as duplicates."""
    require(actor, Cap.HOTLINE_INTAKE)
    messages = wechat_split(text)
    if not messages:
        raise field_error("text", _("No message found in the pasted text"))
    if len(messages) > PASTE_MAX:
        raise field_error("text", _("At most %(n)s messages at once") % {"n": PASTE_MAX})
    window = dt.timedelta(hours=current().rules.hotline.duplicate_window_hours)
    seen = {
        _same(t)
        for t in HotlineRequest.objects.filter(
            status__in=OPEN_STATUSES, created_at__gte=timezone.now() - window
        ).values_list("text", flat=True)
    }
    made, left_out = [], 0
    for sender, message in messages:
        key = _same(message)
        if not key or key in seen:
            left_out += 1
            continue
        seen.add(key)
        phone = PHONE_ONLY.search(message)
        made.append(
            request_take(
                actor=actor,
                channel=HotlineChannel.WECHAT,
                text=message[:TEXT_MAX],
                caller_name=sender[:60],
                caller_phone=phone.group(1).replace("-", "") if phone else "",
            )
        )
    return made, left_out
