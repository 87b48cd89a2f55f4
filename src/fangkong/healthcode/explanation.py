"""Why a person has their code: a stored status in plain sentences, for staff or the person."""

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from fangkong.core.words import listing
from fangkong.epi.models import CaseKind, Degree, ExposureRelation
from fangkong.healthcode.models import CodeStatus, Colour
from fangkong.healthcode.rules import MANUAL_OVERRIDE, last_day
from fangkong.policy.compare import PHASE_LABELS
from fangkong.policy.models import PolicyProfile
from fangkong.quarantine.models import Category as MeasureCategory

Audience = Literal["staff", "person"]


def _profile(code: str, cache: dict[str, PolicyProfile | None]) -> PolicyProfile | None:
    if code not in cache:
        qs = PolicyProfile.objects.order_by("-is_active", "-version")
        cache[code] = (qs.filter(code=code) if code else qs.filter(is_active=True)).first()
    return cache[code]


def _basis(profile: PolicyProfile | None) -> str:
    if profile is None:
        return _("the active policy")
    return _("%(name)s (%(source)s)") % {"name": profile.name, "source": profile.source}


def _date(value: str | None) -> str:
    return value or ""


def _phases(phases: Iterable[dict[str, Any]]) -> str:
    parts = [
        _("%(duration)s %(phase)s")
        % {
            "duration": ngettext("%(n)d day", "%(n)d days", p["days"]) % {"n": p["days"]},
            "phase": PHASE_LABELS.get(p["kind"], p["kind"]),
        }
        for p in phases
    ]
    return listing(parts)


def _ends(fact: dict[str, Any], current: str | None) -> str:
    """When what holds now ends, and when the whole measure does, each date said with what
    ends then (a close contact has a contact's and a measure's reason, each with its dates)."""
    ends = fact.get("ends_on")
    until = {"until": _date(fact.get("until"))}
    if not ends:  # a status stored before facts carried the measure's end
        return current or _("under quarantine until %(until)s") % until
    if current is None:
        return _("the whole measure until %(ends)s") % {"ends": ends}
    if fact.get("until") == ends:
        return _("%(part)s, when the whole measure ends") % {"part": current}
    whole = _("the whole measure until %(ends)s") % {"ends": ends}
    return pgettext("clause separator", "; ").join([current, whole])


def colour_label(colour: str) -> str:
    return str(Colour(colour).label) if colour in Colour.values else colour


def _case_sentence(fact: dict[str, Any], audience: Audience, colour: str) -> str:
    kind = str(CaseKind(fact["kind"]).label) if fact["kind"] in CaseKind.values else fact["kind"]
    parts = {**fact, "colour": colour, "kind": kind}
    if audience == "person":
        text = _(
            "%(colour)s: you were reported as infected (%(kind)s) on %(reported_on)s "
            "(sample of %(sampled_on)s)."
        )
    else:
        text = _(
            "%(colour)s: infected person, case %(case)s (%(kind)s), sampled on %(sampled_on)s, "
            "reported on %(reported_on)s."
        )
    rest = _(
        "Every active infection, confirmed or asymptomatic, counts as a confirmed case for the "
        "health code; the colour holds until the case is closed."
    )
    return f"{text % parts} {rest}"


def _contact_sentence(fact: dict[str, Any], audience: Audience, colour: str, basis: str) -> str:
    degree = Degree(fact["degree"]).label if fact["degree"] in Degree.values else fact["degree"]
    relation = (
        ExposureRelation(fact["relation"]).label
        if fact["relation"] in ExposureRelation.values
        else fact["relation"]
    )
    parts = {
        "colour": colour,
        "degree": str(degree).lower(),
        "case": fact["case"],
        "date": fact["last_exposure_on"],
        "venue": fact.get("venue") or "—",
        "relation": relation,
        "basis": basis,
        "phases": _phases(fact.get("phases", [])),
        "since": _date(fact.get("since")),
        "until": _date(fact.get("until")),
    }
    if audience == "person":
        who = _("%(colour)s: you are a %(degree)s of an infected person, last exposed on %(date)s")
    else:
        who = _(
            "%(colour)s: %(degree)s of case %(case)s, last exposed on %(date)s "
            "(venue: %(venue)s; relation: %(relation)s)"
        )
    phase = fact.get("phase")
    if phase == "lost":
        what = _("could not be located (lost): the colour holds until they are found")
        return _("%(who)s; %(what)s.") % {"who": who % parts, "what": what}
    if phase == "monitoring":
        current = _("now in home health monitoring from %(since)s until %(until)s") % parts
    elif fact.get("until") == fact.get("ends_on"):
        current = None  # quarantine to the end: one date, the whole measure's
    else:
        current = _("in quarantine until %(until)s") % parts
    what = _("under %(basis)s: %(phases)s; %(ends)s") % {**parts, "ends": _ends(fact, current)}
    return _("%(who)s; %(what)s.") % {"who": who % parts, "what": what}


def _measure_sentence(fact: dict[str, Any], audience: Audience, colour: str, basis: str) -> str:
    category = fact["category"]
    label = MeasureCategory(category).label if category in MeasureCategory.values else category
    parts = {
        "colour": colour,
        "category": str(label).lower(),
        "basis": basis,
        "phases": _phases(fact.get("phases", [])),
        "since": _date(fact.get("since")),
        "until": _date(fact.get("until")),
        "days": pgettext("list separator", ", ").join(fact.get("days", [])),
    }
    if fact["type"] == "missed_test":
        if audience == "person":
            text = _("%(colour)s: you missed the required test of %(days)s")
        else:
            text = _("%(colour)s: missed the required test of %(days)s (%(category)s)")
        tail = _(
            "; the colour holds until a test is taken, at the latest until the whole measure "
            "ends on %(until)s."
        )
        return (text + tail) % parts
    if audience == "person":
        who = _("%(colour)s: you are under measures as %(category)s")
    else:
        who = _("%(colour)s: under measures as %(category)s")
    kind = fact.get("kind")
    if kind:
        phase = PHASE_LABELS.get(kind, kind)
        current = _("now in the %(phase)s phase until %(until)s") % {**parts, "phase": phase}
    elif fact.get("phase") == "monitoring":
        current = _("now in home health monitoring from %(since)s until %(until)s") % parts
    else:
        current = None
    what = _("under %(basis)s: %(phases)s; %(ends)s") % {**parts, "ends": _ends(fact, current)}
    return _("%(who)s; %(what)s.") % {"who": who % parts, "what": what}


def _control_sentence(fact: dict[str, Any], audience: Audience, colour: str) -> str:
    parts = {"colour": colour, "since": fact["since"], "tube": fact["tube"]}
    if audience == "person":
        text = _(
            "%(colour)s: a pooled sample you gave was positive on %(since)s; stay at home until "
            "your single-tube retest is negative."
        )
    else:
        text = _(
            "%(colour)s: member of positive pool %(tube)s since %(since)s, under temporary "
            "control until the single-tube retest is negative."
        )
    return text % parts


def _override_sentence(fact: dict[str, Any], audience: Audience, colour: str) -> str:
    until = fact.get("valid_until")
    parts = {
        "colour": colour,
        "date": fact["set_on"],
        "reason": fact["reason"],
        "basis": fact["basis"],
        "until": last_day(dt.datetime.fromisoformat(until)) if until else "",
    }
    if audience == "person":
        text = _("%(colour)s: set by staff on %(date)s on the basis of %(basis)s")
    else:
        text = _("%(colour)s: set by hand on %(date)s; reason: %(reason)s; basis: %(basis)s")
    tail = _(", valid until %(until)s.") if until else _(", until revoked.")
    return (text + tail) % parts


def explain(
    status: CodeStatus,
    *,
    audience: Audience = "staff",
    profiles: dict[str, PolicyProfile | None] | None = None,
) -> list[str]:
    """Why the person has this colour, in plain sentences in the reader's language.

    Staff read the case number, venue and relation; the person reads only their own facts
    (no other person's case number, name or place).
    """
    cache = profiles if profiles is not None else {}
    basis = _basis(_profile(status.profile_code, cache))
    colour = colour_label(status.colour)
    facts = list(status.facts or [])
    sentences: list[str] = []
    if status.rule == MANUAL_OVERRIDE and facts:
        override, facts = facts[0], facts[1:]
        sentences.append(_override_sentence(override, audience, colour))
        if audience == "person":
            return sentences
        if not facts:
            return [*sentences, _("Without it the rules would give: green.")]
        sentences.append(
            _("Without it the rules would give: %(colour)s.")
            % {"colour": colour_label(facts[0]["colour"]).lower()}
        )
    for fact in facts:
        fact_colour = colour_label(fact.get("colour", status.colour))
        if fact["type"] == "case":
            sentences.append(_case_sentence(fact, audience, fact_colour))
        elif fact["type"] == "contact":
            sentences.append(_contact_sentence(fact, audience, fact_colour, basis))
        elif fact["type"] in ("measure", "missed_test"):
            sentences.append(_measure_sentence(fact, audience, fact_colour, basis))
        elif fact["type"] == "control":
            sentences.append(_control_sentence(fact, audience, fact_colour))
    if not sentences:
        if audience == "person":
            text = _(
                "Green: nothing on record requires you to be quarantined or monitored under "
                "%(basis)s."
            )
        else:
            text = _(
                "Green: no active case, no contact under quarantine or monitoring and no manual "
                "setting applies under %(basis)s."
            )
        sentences.append(text % {"basis": basis})
    return sentences
