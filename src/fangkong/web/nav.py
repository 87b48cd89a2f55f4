"""The menu: each entry names the capability a role needs to see it."""

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.access import can
from fangkong.accounts.roles import Cap


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: Promise
    cap: Cap | None
    section: str


MENU = (
    Entry("home", _("Home"), None, "home"),
    Entry("places:tree", _("Places"), Cap.PLACES_VIEW, "places"),
    Entry("people:residents", _("Residents"), Cap.RESIDENTS_VIEW, "residents"),
    Entry("people:key_persons", _("Key persons"), Cap.KEY_PERSONS_VIEW, "key_persons"),
    Entry("people:import", _("Import"), Cap.RESIDENTS_IMPORT, "import"),
    Entry("epi:cases", _("Cases"), Cap.CASES_VIEW, "cases"),
    Entry("epi:contacts", _("Contacts"), Cap.CONTACTS_VIEW, "contacts"),
    Entry("epi:finding", _("Contact finding"), Cap.CONTACT_FINDING, "finding"),
    Entry("epi:chains", _("Chains"), Cap.CASES_VIEW, "chains"),
    Entry("epi:checkins", _("Check-ins"), Cap.CHECKINS_IMPORT, "checkins"),
    Entry("epi:appeals", _("Appeals"), Cap.APPEALS_DECIDE, "appeals"),
    Entry("lab:rounds", _("Testing rounds"), Cap.COVERAGE_VIEW, "rounds"),
    Entry("lab:sampling", _("Sampling"), Cap.SAMPLING, "sampling"),
    Entry("lab:results", _("Lab results"), Cap.RESULTS_UPLOAD, "results"),
    Entry("lab:riskposts", _("Risk posts"), Cap.COVERAGE_VIEW, "riskposts"),
    Entry("policy:profiles", _("Policy profiles"), Cap.POLICY_VIEW, "policy"),
    Entry("audit:events", _("Audit log"), Cap.AUDIT_VIEW, "audit"),
    Entry("tokens", _("API tokens"), None, "tokens"),
)


def menu_for(user: Any) -> list[dict[str, Any]]:
    return [
        {"url": reverse(e.url_name), "label": e.label, "section": e.section}
        for e in MENU
        if e.cap is None or can(user, e.cap)
    ]
