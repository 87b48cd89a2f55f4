"""Roles and what each may do. Pages, menus and API endpoints ask `can(user, cap)`."""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COMMAND = "command", _("Command centre")
    TASK_FORCE = "task_force", _("Task-force member")
    STREET = "street", _("Street / community staff")
    GRID = "grid", _("Grid worker")
    LAB = "lab", _("Laboratory")
    QUARANTINE = "quarantine", _("Quarantine-site manager")
    HOSPITAL = "hospital", _("Hospital")
    HOTLINE = "hotline", _("Hotline operator")
    SUPPLY = "supply", _("Supply enterprise")
    DISPATCH_120 = "dispatch_120", _("120 dispatcher")


class Cap(StrEnum):
    PLACES_VIEW = "places.view"
    PLACES_EDIT = "places.edit"
    RESIDENTS_VIEW = "residents.view"
    RESIDENTS_EDIT = "residents.edit"
    RESIDENTS_IMPORT = "residents.import"
    PII_REVEAL = "pii.reveal"
    KEY_PERSONS_VIEW = "key_persons.view"
    KEY_PERSONS_EDIT = "key_persons.edit"
    POLICY_VIEW = "policy.view"
    POLICY_MANAGE = "policy.manage"
    AUDIT_VIEW = "audit.view"
    CASES_VIEW = "cases.view"
    CASES_EDIT = "cases.edit"
    CONTACTS_VIEW = "contacts.view"
    CONTACTS_EDIT = "contacts.edit"
    CHECKINS_IMPORT = "checkins.import"
    CONTACT_FINDING = "contacts.find"
    CODE_STATUS_VIEW = "code_status.view"
    CODE_OVERRIDE = "code_status.override"
    APPEALS_DECIDE = "appeals.decide"
    ROUNDS_MANAGE = "rounds.manage"
    SAMPLING = "sampling"
    RESULTS_UPLOAD = "results.upload"
    COVERAGE_VIEW = "coverage.view"
    LABS_VIEW = "labs.view"  # the laboratories' registry (lab staff: their own labs)
    LABS_MANAGE = "labs.manage"  # register labs, edit them, their staff, suspend/reopen
    RISK_POSTS_EDIT = "risk_posts.edit"  # register risk-post workers (a registry task)
    QUARANTINE_VIEW = "quarantine.view"  # measures, sites, occupancy
    QUARANTINE_MANAGE = "quarantine.manage"  # sites, rooms, allocation, check-in, release
    MEASURES_KEEP = "measures.keep"  # start home measures, record daily checks
    TRANSFERS_MANAGE = "transfers.manage"
    TRIPS_VIEW = "trips.view"
    TRIPS_RECORD = "trips.record"  # trip reports and arrival tests at checkpoints
    ZONES_VIEW = "zones.view"  # risk zones, their evaluations and figures
    ZONES_MANAGE = "zones.manage"  # draw zones, decide proposed level changes
    REPORT_ISSUE = "report.issue"  # issue (and re-issue) the daily report: the command centre
    SITUATION_IMPORT = "situation.import"  # a line list of cases, contacts and people at once
    SUPPLIES_VIEW = "supplies.view"  # supply enterprises, couriers, vehicles, passes (read)
    SUPPLIES_MANAGE = "supplies.manage"  # the supply task force: register, whitelist, keys
    SUPPLY_ENTERPRISE = "supply.enterprise"  # an enterprise keeps its own staff and asks passes
    CARE_VIEW = "care.view"  # medical care: facilities, the routing table, requests
    CARE_REQUEST = "care.request"  # raise a medical request for a person of the jurisdiction
    CARE_MANAGE = "care.manage"  # the medical task force: register facilities, route requests
    # the community's side of care: its people's health plans, medicine on hand and deliveries,
    # its direct lines (not the site, the hotline or 120, which raise requests only)
    CARE_COMMUNITY = "care.community"
    CARE_DISPATCH = "care.dispatch"  # a 120 centre's dispatcher: its queue, vehicles, 110 transfers
    HOTLINE_VIEW = "hotline.view"  # citizen requests (12345) of the jurisdiction, departments
    HOTLINE_INTAKE = "hotline.intake"  # take calls, paste WeChat messages, call callers back
    HOTLINE_HANDLE = "hotline.handle"  # a department's staff: accept, notes, complete
    HOTLINE_MANAGE = "hotline.manage"  # dispatch, merge, departments, Open311 clients, corrections
    ORDERS_VIEW = "orders.view"  # supply orders into sealed compounds (enterprises: their own)
    ORDERS_PLACE = "orders.place"  # order for a resident of the jurisdiction (grid, 12345)
    ORDERS_DELIVER = "orders.deliver"  # record delivery at the door and problems
    RECEIVING_POINTS = "orders.points"  # register a compound's fixed receiving points
    # Social assistance (低保 / 特困 / 临时救助): the street reviews and decides (审核确认权下放)
    ASSISTANCE_VIEW = "assistance.view"  # applications and payments of the jurisdiction
    ASSISTANCE_APPLY = "assistance.apply"  # file an application for a resident of the jurisdiction
    ASSISTANCE_DECIDE = "assistance.decide"  # review, approve or refuse, record payments


_REGISTRY_READ = {Cap.PLACES_VIEW, Cap.RESIDENTS_VIEW, Cap.POLICY_VIEW}
_REGISTRY_KEEP = _REGISTRY_READ | {
    Cap.RESIDENTS_EDIT,
    Cap.PII_REVEAL,
    Cap.KEY_PERSONS_VIEW,
    Cap.KEY_PERSONS_EDIT,
}

_EPI_LOCAL = {
    Cap.CASES_VIEW,
    Cap.CONTACTS_VIEW,
    Cap.CONTACTS_EDIT,
    Cap.CODE_STATUS_VIEW,
    Cap.COVERAGE_VIEW,
    Cap.SAMPLING,
    Cap.RISK_POSTS_EDIT,
    Cap.QUARANTINE_VIEW,
    Cap.MEASURES_KEEP,
    Cap.TRIPS_VIEW,
}
_TRACING = _EPI_LOCAL | {
    Cap.CASES_EDIT,
    Cap.CHECKINS_IMPORT,
    Cap.CONTACT_FINDING,
    Cap.APPEALS_DECIDE,
    Cap.QUARANTINE_MANAGE,
    Cap.TRANSFERS_MANAGE,
    Cap.TRIPS_RECORD,
}

ROLE_CAPS: dict[str, frozenset[Cap]] = {
    Role.COMMAND: frozenset(Cap),
    Role.TASK_FORCE: frozenset(
        _REGISTRY_READ
        | _TRACING
        | {
            Cap.PII_REVEAL,
            Cap.KEY_PERSONS_VIEW,
            Cap.ZONES_VIEW,
            Cap.ZONES_MANAGE,
            Cap.LABS_VIEW,
            Cap.SUPPLIES_VIEW,
            Cap.SUPPLIES_MANAGE,
            Cap.CARE_VIEW,
            Cap.CARE_REQUEST,
            Cap.CARE_COMMUNITY,
            Cap.CARE_MANAGE,
        }
    ),
    Role.STREET: frozenset(
        _REGISTRY_KEEP
        | _EPI_LOCAL
        | {
            Cap.RESIDENTS_IMPORT,
            Cap.PLACES_EDIT,
            Cap.AUDIT_VIEW,
            Cap.ZONES_VIEW,
            Cap.SUPPLIES_VIEW,
            Cap.CARE_VIEW,
            Cap.CARE_REQUEST,
            Cap.CARE_COMMUNITY,
        }
    ),
    Role.GRID: frozenset(
        _REGISTRY_KEEP | _EPI_LOCAL | {Cap.CARE_VIEW, Cap.CARE_REQUEST, Cap.CARE_COMMUNITY}
    ),
    Role.LAB: frozenset({Cap.POLICY_VIEW, Cap.SAMPLING, Cap.RESULTS_UPLOAD, Cap.LABS_VIEW}),
    Role.QUARANTINE: frozenset(
        {
            Cap.POLICY_VIEW,
            Cap.QUARANTINE_VIEW,
            Cap.QUARANTINE_MANAGE,
            Cap.MEASURES_KEEP,
            Cap.SAMPLING,
            Cap.TRANSFERS_MANAGE,
            Cap.CARE_VIEW,
            Cap.CARE_REQUEST,
        }
    ),
    Role.HOSPITAL: frozenset(
        {
            Cap.POLICY_VIEW,
            Cap.KEY_PERSONS_VIEW,
            Cap.CASES_VIEW,
            Cap.CODE_STATUS_VIEW,
            Cap.TRANSFERS_MANAGE,
            Cap.CARE_VIEW,
        }
    ),
    Role.HOTLINE: frozenset(
        {
            Cap.PLACES_VIEW,
            Cap.RESIDENTS_VIEW,
            Cap.POLICY_VIEW,
            Cap.CODE_STATUS_VIEW,
            Cap.CARE_VIEW,
            Cap.CARE_REQUEST,
        }
    ),
    Role.SUPPLY: frozenset({Cap.SUPPLIES_VIEW, Cap.SUPPLY_ENTERPRISE}),
    # A 120 dispatch centre's dispatcher works the queue of the centres it staffs (and takes
    # over 110's emergencies for people of its jurisdiction).
    Role.DISPATCH_120: frozenset(
        {Cap.POLICY_VIEW, Cap.CARE_VIEW, Cap.CARE_REQUEST, Cap.CARE_DISPATCH}
    ),
}

# Orders into sealed compounds (supplies/orders/): the community and the task force register
# receiving points; grid workers, the community and 12345 order for residents; enterprises see
# the orders assigned to them.
_ORDERS_CAPS = {
    Role.TASK_FORCE: {Cap.ORDERS_VIEW, Cap.ORDERS_PLACE, Cap.ORDERS_DELIVER, Cap.RECEIVING_POINTS},
    Role.STREET: {Cap.ORDERS_VIEW, Cap.ORDERS_PLACE, Cap.ORDERS_DELIVER, Cap.RECEIVING_POINTS},
    Role.GRID: {Cap.ORDERS_VIEW, Cap.ORDERS_PLACE, Cap.ORDERS_DELIVER},
    Role.HOTLINE: {Cap.ORDERS_VIEW, Cap.ORDERS_PLACE},
    Role.SUPPLY: {Cap.ORDERS_VIEW},
}
for _role, _caps in _ORDERS_CAPS.items():
    ROLE_CAPS[_role] = ROLE_CAPS[_role] | _caps

# Social assistance (assistance/): grid workers file applications for residents; the street
# (乡镇/街道) reviews and decides them and records payments.
_ASSISTANCE_CAPS = {
    Role.STREET: {Cap.ASSISTANCE_VIEW, Cap.ASSISTANCE_APPLY, Cap.ASSISTANCE_DECIDE},
    Role.GRID: {Cap.ASSISTANCE_VIEW, Cap.ASSISTANCE_APPLY},
}
for _role, _caps in _ASSISTANCE_CAPS.items():
    ROLE_CAPS[_role] = ROLE_CAPS[_role] | _caps

# Citizen requests (hotline/): the 12345 centre takes calls and dispatches; departments (staffed
# by the street, the task force) answer what is dispatched to them; the command centre has all.
_HOTLINE_CAPS = {
    Role.HOTLINE: {Cap.HOTLINE_VIEW, Cap.HOTLINE_INTAKE, Cap.HOTLINE_MANAGE},
    Role.TASK_FORCE: {Cap.HOTLINE_VIEW, Cap.HOTLINE_HANDLE},
    Role.STREET: {Cap.HOTLINE_VIEW, Cap.HOTLINE_HANDLE},
    Role.GRID: {Cap.HOTLINE_VIEW, Cap.HOTLINE_HANDLE},
    Role.HOSPITAL: {Cap.HOTLINE_VIEW, Cap.HOTLINE_HANDLE},
}
for _role, _caps in _HOTLINE_CAPS.items():
    ROLE_CAPS[_role] = ROLE_CAPS[_role] | _caps


# Two-factor authentication (TOTP) is required of every role whose capabilities reach personal
# data in full or in bulk: revealing ID numbers and phones, or exporting lists of people (the
# key-person ledger and the command centre's lists behind the figures). Superusers and staff
# (the Django admin) always need it. Settings may name other capabilities
# (`TWO_FACTOR_CAPS`, env FANGKONG_TWO_FACTOR_CAPS); roles follow from their capabilities.
PII_REVEAL_CAPS = frozenset({Cap.PII_REVEAL})
PERSONAL_DATA_EXPORT_CAPS = frozenset({Cap.KEY_PERSONS_VIEW, Cap.CASES_VIEW})
TWO_FACTOR_CAPS = PII_REVEAL_CAPS | PERSONAL_DATA_EXPORT_CAPS


def roles_requiring_two_factor(caps: frozenset[Cap] = TWO_FACTOR_CAPS) -> frozenset[str]:
    return frozenset(role for role, granted in ROLE_CAPS.items() if granted & caps)
