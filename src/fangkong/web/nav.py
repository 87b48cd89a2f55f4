"""The menu: each entry names the capability a role needs to see it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fangkong.care.medicine.selectors import medicine_reachable
from fangkong.core.access import can
from fangkong.core.roles import Cap


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: Promise
    cap: Cap | None
    section: str
    shown: Callable[[Any], bool] | None = None  # beyond the capability: whom the page serves


# Menu groups, in order; each entry below belongs to the group whose first entry precedes it.
GROUPS: dict[str, Promise] = {
    "home": _("Overview"),
    "places": _("Registry"),
    "cases": _("Cases and tracing"),
    "rounds": _("Testing"),
    "quarantine_sites": _("Quarantine"),
    "zones": _("Risk zones"),
    "trips": _("Travel"),
    "supplies": _("Supplies"),
    "care_requests": _("Medical care"),
    "assistance": _("Social assistance"),
    "hotline": _("Citizen requests"),
    "policy": _("System"),
}

MENU = (
    Entry("home", _("Home"), None, "home"),
    Entry("command:dashboard", _("Command dashboard"), Cap.CASES_VIEW, "command"),
    Entry(
        "command:situation_import", _("Situation import"), Cap.SITUATION_IMPORT, "situation_import"
    ),
    Entry("places:tree", _("Places"), Cap.PLACES_VIEW, "places"),
    Entry("people:residents", _("Residents"), Cap.RESIDENTS_VIEW, "residents"),
    Entry("people:key_persons", _("Key persons"), Cap.KEY_PERSONS_VIEW, "key_persons"),
    Entry("people:import", _("Import"), Cap.RESIDENTS_IMPORT, "import"),
    Entry("epi:cases", _("Cases"), Cap.CASES_VIEW, "cases"),
    Entry("epi:contacts", _("Contacts"), Cap.CONTACTS_VIEW, "contacts"),
    Entry("epi:contact_requests", _("Contact requests"), Cap.CONTACTS_VIEW, "contact_requests"),
    Entry("epi:finding", _("Contact finding"), Cap.CONTACT_FINDING, "finding"),
    Entry("epi:chains", _("Chains"), Cap.CASES_VIEW, "chains"),
    Entry("epi:checkins", _("Check-ins"), Cap.CHECKINS_IMPORT, "checkins"),
    Entry("healthcode:appeals", _("Appeals"), Cap.APPEALS_DECIDE, "appeals"),
    Entry("lab:rounds", _("Testing rounds"), Cap.COVERAGE_VIEW, "rounds"),
    Entry("lab:sampling", _("Sampling"), Cap.SAMPLING, "sampling"),
    Entry("lab:results", _("Lab results"), Cap.RESULTS_UPLOAD, "results"),
    Entry("lab:labs", _("Laboratories"), Cap.LABS_VIEW, "labs"),
    Entry("lab:riskposts", _("Risk posts"), Cap.COVERAGE_VIEW, "riskposts"),
    Entry("quarantine:sites", _("Quarantine sites"), Cap.QUARANTINE_VIEW, "quarantine_sites"),
    Entry("quarantine:allocate", _("Room allocation"), Cap.QUARANTINE_MANAGE, "allocation"),
    Entry("quarantine:measures", _("People under measures"), Cap.QUARANTINE_VIEW, "measures"),
    Entry("quarantine:tasks", _("Test days"), Cap.QUARANTINE_VIEW, "tasks"),
    Entry("quarantine:checks", _("Daily checks (site)"), Cap.MEASURES_KEEP, "checks"),
    Entry("quarantine:checks_home", _("Daily checks (home)"), Cap.MEASURES_KEEP, "checks_home"),
    Entry("quarantine:alerts", _("Health alerts"), Cap.QUARANTINE_VIEW, "alerts"),
    Entry("quarantine:transfers", _("Transfers"), Cap.TRANSFERS_MANAGE, "transfers"),
    Entry("zones:list", _("Risk zones"), Cap.ZONES_VIEW, "zones"),
    Entry("zones:evaluations", _("Zone evaluations"), Cap.ZONES_VIEW, "zone_evaluations"),
    Entry("travel:trips", _("Trips"), Cap.TRIPS_VIEW, "trips"),
    Entry("travel:checkpoint", _("Checkpoint"), Cap.TRIPS_RECORD, "checkpoint"),
    Entry("travel:handovers", _("Arrival hand-overs"), Cap.TRIPS_VIEW, "handovers"),
    Entry("supplies:enterprises", _("Supply enterprises"), Cap.SUPPLIES_VIEW, "supplies"),
    Entry("supplies:passes", _("Passes"), Cap.SUPPLIES_VIEW, "passes"),
    Entry("supplies_public:pass_check", _("Pass check"), Cap.SUPPLIES_VIEW, "pass_check"),
    Entry("supplies:prices", _("Prices and stock"), Cap.SUPPLIES_VIEW, "prices"),
    Entry("supplies:price_report", _("Price report"), Cap.SUPPLY_ENTERPRISE, "price_report"),
    Entry("supplies:price_alerts", _("Price alerts"), Cap.SUPPLIES_VIEW, "price_alerts"),
    Entry("supplies:orders", _("Supply orders"), Cap.ORDERS_VIEW, "supply_orders"),
    Entry("supplies:batches", _("Order batches"), Cap.ORDERS_VIEW, "supply_batches"),
    Entry("supplies:order_totals", _("Orders by compound"), Cap.ORDERS_VIEW, "supply_totals"),
    Entry("supplies:points", _("Receiving points"), Cap.ORDERS_VIEW, "receiving_points"),
    Entry("supplies:products", _("Packages and items"), Cap.ORDERS_VIEW, "supply_products"),
    Entry("care:requests", _("Medical requests"), Cap.CARE_VIEW, "care_requests"),
    Entry("care:facilities", _("Medical facilities"), Cap.CARE_VIEW, "care_facilities"),
    Entry("care:routing", _("Care routing"), Cap.CARE_VIEW, "care_routing"),
    Entry("care:plans", _("Health plans"), Cap.CARE_COMMUNITY, "care_plans"),
    Entry(
        "care:medicine", _("Medicine delivery"), Cap.CARE_VIEW, "care_medicine", medicine_reachable
    ),
    Entry("care:lines", _("Direct lines"), Cap.CARE_VIEW, "care_lines"),
    Entry("care:board", _("Open and late requests"), Cap.CARE_VIEW, "care_board"),
    Entry("care:dispatch_queue", _("120 dispatch queue"), Cap.CARE_DISPATCH, "care_dispatch"),
    Entry(
        "assistance:applications", _("Assistance applications"), Cap.ASSISTANCE_VIEW, "assistance"
    ),
    Entry("hotline:requests", _("Citizen requests"), Cap.HOTLINE_VIEW, "hotline"),
    Entry("hotline:intake", _("Take a call"), Cap.HOTLINE_INTAKE, "hotline_intake"),
    Entry("hotline:departments", _("Departments"), Cap.HOTLINE_VIEW, "hotline_departments"),
    Entry("policy:profiles", _("Policy profiles"), Cap.POLICY_VIEW, "policy"),
    Entry("audit:events", _("Audit log"), Cap.AUDIT_VIEW, "audit"),
    Entry("account_security", _("Account security"), None, "security"),
    Entry("tokens", _("API tokens"), None, "tokens"),
)


def menu_for(user: Any) -> list[dict[str, Any]]:
    """The groups of entries the user may open (groups with none are left out)."""
    groups: list[dict[str, Any]] = []
    for e in MENU:
        if e.section in GROUPS:
            groups.append({"label": GROUPS[e.section], "items": []})
        if (e.cap is None or can(user, e.cap)) and (e.shown is None or e.shown(user)):
            item = {"url": reverse(e.url_name), "label": e.label, "section": e.section}
            groups[-1]["items"].append(item)
    return [g for g in groups if g["items"]]
