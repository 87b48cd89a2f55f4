"""Release: from the site when the centralised phase is over (the measure goes on at home), and
at the end of the schedule with a release certificate (解除隔离告知书, PDF in zh-Hans).

A release is refused with the reasons when the active profile's
`rules.quarantine.release_needs_negative_tests` holds and a test taken is positive or has no
result yet, or the last test of the schedule (or of the centralised phase) was not taken or is
not negative.
"""

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangkong.audit.services import event_record
from fangkong.core.access import Cap, require
from fangkong.core.errors import field_error
from fangkong.core.pdf import html_to_pdf
from fangkong.places.models import Division
from fangkong.policy import accessor
from fangkong.policy.accessor import current
from fangkong.policy.models import PolicyProfile
from fangkong.quarantine.measures.selectors import (
    COMMUNITY_WIDTH,
    HOME_KINDS,
    SITE_KINDS,
    check_measure,
    open_stay,
    test_state,
)
from fangkong.quarantine.measures.services import (
    basis_of,
    check_closed_at,
    measure_close,
    require_keeper,
    stay_end,
)
from fangkong.quarantine.models import (
    DueTestStatus,
    Measure,
    MeasurePhase,
    MeasureStatus,
    ScheduledTest,
    Stay,
    StayStatus,
    Transfer,
    TransferStatus,
)

# The certificate is an official document in Chinese whatever the reader's language.
CATEGORY_ZH = {
    "close_contact": "密切接触者",
    "secondary_contact": "密切接触者的密切接触者",
    "high_risk_area_leaver": "高风险区外溢人员",
    "inbound_traveller": "入境人员",
    "risk_post_leaver": "高风险岗位人员",
}
PHASE_ZH = {
    "centralised": "集中隔离",
    "home_quarantine": "居家隔离",
    "home_monitoring": "居家健康监测",
    "centralised_or_home": "集中或居家隔离",
}
RESULT_ZH: dict[str, str] = {
    DueTestStatus.NEGATIVE: "阴性",
    DueTestStatus.POSITIVE: "阳性",
    DueTestStatus.SAMPLED: "待出结果",
    DueTestStatus.MISSED: "未采样",
    DueTestStatus.DUE: "未采样",
}
CJK_FONTS = '"Noto Serif CJK SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", serif'


def _tests(measure: Measure, until: dt.date | None = None) -> list[ScheduledTest]:
    qs = measure.tests.select_related("tube__result").order_by("due_on", "id")
    return list(qs.filter(due_on__lte=until) if until else qs)


def test_refusals(tests: list[ScheduledTest]) -> list[str]:
    """Why these tests do not allow a release under the active profile (empty: they do)."""
    if not current().rules.quarantine.release_needs_negative_tests or not tests:
        return []
    reasons = []
    for t in tests:
        state = test_state(t)
        if state == DueTestStatus.POSITIVE:
            reasons.append(
                _("The test of %(day)s is positive: transfer the person, do not release")
                % {"day": t.due_on.isoformat()}
            )
        elif state == DueTestStatus.SAMPLED:
            reasons.append(
                _("The test of %(day)s has no result yet") % {"day": t.due_on.isoformat()}
            )
    last = tests[-1]
    if test_state(last) in (DueTestStatus.DUE, DueTestStatus.MISSED):
        reasons.append(
            _("The last test (%(day)s) was not taken") % {"day": last.due_on.isoformat()}
        )
    return reasons


def _common_refusals(measure: Measure) -> list[str]:
    if measure.status != MeasureStatus.ACTIVE:
        return [_("This measure is closed (%(status)s)") % {"status": measure.get_status_display()}]
    busy = Transfer.objects.filter(
        person_id=measure.person_id,
        status__in=(TransferStatus.REQUESTED, TransferStatus.DEPARTED),
    )
    if busy.exists():
        return [_("A closed-loop transfer is under way for this person")]
    return []


def release_refusals(measure: Measure, *, today: dt.date) -> list[str]:
    """Why the person may not be released at the end of the schedule today (empty: they may)."""
    reasons = _common_refusals(measure)
    if reasons:
        return reasons
    if today < measure.ends_on:
        reasons.append(_("The schedule runs until %(day)s") % {"day": measure.ends_on.isoformat()})
    return reasons + test_refusals(_tests(measure))


@dataclass
class SitePhase:
    phase: MeasurePhase  # the centralised phase
    home: MeasurePhase  # the home phase that follows it


def site_phase(measure: Measure) -> SitePhase | None:
    """The centralised phase followed by a home phase, if the schedule has one."""
    phases = list(measure.phases.order_by("order"))
    for here, following in itertools.pairwise(phases):
        if here.kind in SITE_KINDS and following.kind in HOME_KINDS:
            return SitePhase(here, following)
    return None


def site_release_refusals(measure: Measure, stay: Stay | None, *, today: dt.date) -> list[str]:
    """Why the person may not leave the site for the home phase today (empty: they may)."""
    reasons = _common_refusals(measure)
    if reasons:
        return reasons
    if stay is None or stay.status != StayStatus.IN:
        return [_("The person is not in a site room")]
    phases = site_phase(measure)
    if phases is None:
        return [_("The schedule has no home phase after the site: release at the end")]
    if today >= measure.ends_on:
        return [_("The schedule is over: release the person")]
    if today < phases.phase.last_day:
        reasons.append(
            _("The centralised phase runs until %(day)s")
            % {"day": phases.phase.last_day.isoformat()}
        )
    return reasons + test_refusals(_tests(measure, until=phases.phase.last_day))


def _refuse(reasons: list[str]) -> None:
    if reasons:
        raise field_error("measure", " ".join(reasons))


def _profile_of(measure: Measure) -> PolicyProfile | None:
    """The profile the measure was planned under (its basis), if that version is on record."""
    policy = accessor.at(measure.profile_code, measure.profile_version)
    return policy.profile if policy else None


def _next_certificate_number(key: str, day: dt.date) -> str:
    prefix = f"{key[:6]}-{day:%Y%m%d}-"
    last = Measure.objects.filter(certificate_number__startswith=prefix).aggregate(
        n=Max("certificate_number")
    )["n"]
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


@transaction.atomic
def measure_release(
    *,
    actor: Any,
    measure: Measure,
    today: dt.date | None = None,
    closed_at: dt.datetime | None = None,
) -> Measure:
    """Release at the end of the schedule: the room (if any) awaits disinfection, the measure
    closes as released with a certificate number, and the health code follows. `closed_at`:
    when (valid time, now if not given), also the person's check-out."""
    stay = open_stay(measure.person_id)
    if stay is not None:
        require(actor, Cap.QUARANTINE_MANAGE)
    else:
        require_keeper(actor)
    check_measure(actor, measure, active=False)
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    today = today or timezone.localdate()
    _refuse(release_refusals(measure, today=today))
    closed_at = check_closed_at(measure, closed_at)
    reason = _("Released at the end of the schedule")
    if stay is not None:
        try:
            stay_end(
                actor=actor, stay=stay, status=StayStatus.RELEASED, reason=reason, at=closed_at
            )
        except ValidationError as exc:
            raise field_error("closed_at", " ".join(exc.messages)) from None
    profile = _profile_of(measure)
    number = _next_certificate_number(stay.division_key if stay else measure.division_key, today)
    return measure_close(
        actor=actor,
        measure=measure,
        status=MeasureStatus.RELEASED,
        reason=reason,
        basis=basis_of(profile) if profile else measure.profile_code,
        certificate_number=number,
        closed_at=closed_at,
    )


@transaction.atomic
def measure_release_from_site(
    *,
    actor: Any,
    measure: Measure,
    today: dt.date | None = None,
    checked_out_at: dt.datetime | None = None,
) -> Stay:
    """The centralised phase is over: the person leaves the site for the home phase. The room
    awaits disinfection; the measure goes on and the person's community takes over.
    `checked_out_at`: when the person left (valid time, now if not given)."""
    require(actor, Cap.QUARANTINE_MANAGE)
    check_measure(actor, measure)
    today = today or timezone.localdate()
    stay = open_stay(measure.person_id)
    _refuse(site_release_refusals(measure, stay, today=today))
    assert stay is not None
    phases = site_phase(measure)
    assert phases is not None
    community_key = measure.division_key[:COMMUNITY_WIDTH]
    community = Division.objects.filter(key=community_key).first()
    reason = _("Centralised phase over: %(phase)s at home from %(day)s, with %(community)s") % {
        "phase": phases.home.get_kind_display(),
        "day": phases.home.first_day.isoformat(),
        "community": community.name if community else community_key,
    }
    stay_end(actor=actor, stay=stay, status=StayStatus.RELEASED, reason=reason, at=checked_out_at)
    event_record(
        at=stay.checked_out_at,
        actor=actor,
        action="measure.handed_to_community",
        obj=measure,
        person_id=measure.person_id,
        field="phase",
        from_value=phases.phase.get_kind_display(),
        to_value=phases.home.get_kind_display(),
        reason=reason,
        data={"site": stay.site.name, "community": community_key},
    )
    return stay


# The certificate ----------------------------------------------------------------------------------


def certificate_context(measure: Measure) -> dict[str, Any]:
    """What the 解除隔离告知书 shows: person, category, dates, tests, site, issuer, basis."""
    person = measure.person
    stay = measure.stays.select_related("site").order_by("-allocated_at", "-id").first()
    community = Division.objects.filter(key=measure.division_key[:COMMUNITY_WIDTH]).first()
    profile = _profile_of(measure)
    released_on = timezone.localdate(measure.closed_at) if measure.closed_at else None
    return {
        "measure": measure,
        "person": person,
        "id_masked": person.id_number_masked,
        "category": CATEGORY_ZH.get(measure.category, measure.category),
        "phases": [
            {"kind": PHASE_ZH.get(p.kind, p.kind), "first": p.first_day, "last": p.last_day}
            for p in measure.phases.order_by("order")
        ],
        "tests": [
            {"day": t.due_on, "result": RESULT_ZH.get(test_state(t), test_state(t))}
            for t in _tests(measure)
        ],
        "site": stay.site.name if stay else "",
        "issuer": stay.site.name if stay else (community.name if community else ""),
        "released_on": released_on,
        "basis": basis_of(profile) if profile else measure.profile_code,
        "fonts": CJK_FONTS,
    }


def certificate_pdf(measure: Measure) -> bytes:
    """The release certificate as PDF (WeasyPrint; Chinese from the Noto CJK fonts)."""
    if measure.status != MeasureStatus.RELEASED or not measure.certificate_number:
        raise field_error("measure", _("This person has not been released"))
    with translation.override("zh-hans"):
        html = render_to_string("quarantine/certificate.html", certificate_context(measure))
    return html_to_pdf(html)
