"""Every route of the URL conf and every operation of the OpenAPI document, and how to fill them.

The routes are found, not listed: `page_routes()` walks Django's URL resolver (every pattern but
the admin's and the API operations), `api_routes()` reads the OpenAPI document (every path ×
method), `admin_routes()` the admin's patterns. What is kept by hand:

- how to fill a parameter with an object of a side (inside or outside the caller's
  jurisdiction), by parameter or field name (`PARAMS`, `FIELDS`), by route where a name means
  different things (`ROUTE_PARAMS`, `OP_FIELDS`), and values that are not objects (`ENUMS`,
  `CONSTANTS`, and `OP_BODY` / `PAGE_FORMS` where a form needs more to go through);
- which routes need no login (`PUBLIC`) or no capability (`ANY_USER`), each with the reason;
- the few answers that look like taking an outside object but are not (`CHANGES_ALLOWED`,
  `ANSWERED_NOT_ACCEPTED`), each with the reason.

A route with a parameter nobody said how to fill fails the matrix with a message saying what to
add here; a new route also fails until `access.txt` records who reaches it.
"""

import datetime as dt
import functools
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from fangkong.api import api
from fangkong.command.lists import LISTS
from fangkong.people.idnumber import make_id_number

# Routes nobody must log in for, and why -------------------------------------------------------

PUBLIC: dict[str, str] = {
    "login": "the login form",
    "logout": "ends a session (POST); nothing to show",
    "set_language": "sets the language cookie",
    "risk_zones": "the public map of risk zones (names and levels are published)",
    "public:verify": "a health-code QR: the holder of the token sees the colour and a masked name",
    "public:my_code": "a resident asks for their own code with ID number + phone",
    "public:my_code_appeal": "a resident appeals their own code (session of /my-code/)",
    "public:my_code_leave": "ends the /my-code/ session",
    "care_public:my_request": "a resident asks for medical care for themselves with ID number + "
    "phone",
    "care_public:my_request_leave": "ends the /my-care/ session",
    "care_public:my_medicine": "a resident's own medicine orders (the session of /my-care/)",
    "care_public:my_substitute_answer": "a resident answers a substitute for their own order "
    "(the session of /my-care/; another's order: nothing written)",
    "care_my_orders": "a resident's own medicine orders, with ID number + phone",
    "care_my_substitute_answer": "a resident answers a substitute for their own order, with ID "
    "number + phone (another's order: 404)",
    "hotline_public:form": "the public 12345 web form (throttled; over the limits: queued)",
    "hotline_public:mine": "a caller's own request, by the token only they were given",
    "open311:root": "Open311 discovery: no data",
    "open311:discovery": "Open311 discovery: no data",
    "open311:services": "Open311 services: the fixed categories",
    "open311:service": "Open311 service definition: the fixed categories",
    "open311:requests": "Open311 requests: an API key, not a login (a client sees its own)",
    "open311:request": "an Open311 request, by API key (the client's own only)",
    "open311:token": "an Open311 request token, by API key (the client's own only)",
    "travel:report": "the public trip-report form (报备)",
    "travel:report_done": "the receipt of a public trip report (the reporter's session only)",
    "api:openapi-json": "the API description: no data",
    "api:openapi-view": "the interactive API documentation: no data",
    "api:api-root": "the API's root: no data",
    "code_verify": "the QR verification as JSON (same as /v/<token>/)",
    "public_risk_zones": "the published risk zones as JSON",
    "supplies_public:pass_check": "the checkpoint's pass check: verifies in the browser",
    "supplies_public:my_pass": "a courier asks for their own pass with ID number + phone",
    "pass_keys": "the published public keys passes are verified with (a JWK set)",
    "pass_verify": "a checkpoint checks a pass online: says only what the pass itself carries",
    "supplies_public:my_orders": "a resident orders for their own household with ID number + "
    "phone (the session of /my-code/)",
    "assistance_public:my_assistance": "a resident applies for social assistance for themselves "
    "with ID number + phone",
    "assistance_public:my_document": "a resident uploads a document to their own application "
    "(the session of /my-assistance/)",
    "assistance_public:my_assistance_leave": "ends the /my-assistance/ session",
    "my_assistance_identify": "a resident identifies with ID number + phone (throttled)",
    "my_assistance_list": "a resident's own applications (the session of /my-assistance/)",
    "my_assistance_apply": "a resident applies for themselves (the session of /my-assistance/)",
    "my_assistance_document": "a resident uploads to their own application (the session of "
    "/my-assistance/)",
}

# Routes open to any signed-in user whatever their role, and why (even a role with no
# capability reaches them).
ANY_USER: dict[str, str] = {
    "home": "the start page: figures are scoped, a role without capabilities sees its menu",
    "tokens": "one's own API tokens",
    "token_revoke": "revokes one's own token",
    "me": "who am I",
    "token_list": "one's own API tokens",
    "token_new": "creates a token for oneself",
    "token_delete": "revokes one's own token",
    "two_factor_verify": "the second step of one's own log-in (the code from one's own app)",
    "account_security": "one's own second factor: enrolled or not, recovery codes left",
    "two_factor_enrol": "enrols one's own authenticator",
    "two_factor_codes": "new recovery codes for one's own account (after a code)",
    "two_factor_remove": "removes one's own authenticator (after a code)",
}

# Routes whose purpose is to show an ID number or phone in full (inside the jurisdiction), and
# why; everywhere else they are masked.
REVEALS: dict[str, str] = {
    "people:reveal": "reveals one identifier of one resident on request, audited",
    "healthcode:appeal_reveal_phone": "reveals an appellant's call-back number on request, audited",
}

# In a "mixed" request without an object in the path, these stay the caller's own (the lab,
# sampling site, round, site or case they work on) while people, tubes and places are outside.
OWN_KINDS = {
    "lab",
    "site",
    "round",
    "quarantine_site",
    "case",
    "measure",
    "zone",
    "finding_job",
    "staff",
}

# Routes that may change rows of the outside district, and why.
CHANGES_ALLOWED: dict[str, str] = {
    "travel:report": "the public trip report: a traveller reports a trip to any community",
    "epi:finding_job_refer": "sends candidates living elsewhere to their own district as "
    "requests to confirm (协查); the request is addressed there, the person is unchanged",
    "finding_job_refer": "the same through the API",
    "case_contacts_add": "a contact registered elsewhere becomes a request to confirm (协查) "
    "addressed to their own district; the person is unchanged and nothing about them is told",
}

# Operations answering 2xx to a body that names outside objects without taking them, and why.
ANSWERED_NOT_ACCEPTED: dict[str, str] = {
    "case_contacts_add": "someone registered elsewhere is sent for confirmation, not added",
    "finding_job_confirm": "candidates not of the job or living outside are left out (0 decided)",
    "finding_job_dismiss": "candidates not of the job or living outside are left out (0 decided)",
    "quarantine_allocation_propose": "outside ID numbers are listed as unknown (masked) in the "
    "draft's unplaced people; nobody outside is placed",
}

# Pages taking a file, and which upload (`matrix.upload_for`) they take.
PAGE_UPLOADS = {
    "epi:checkins": "checkins_import",
    "lab:results": "results_upload",
    "people:import": "residents_import",
    "policy:upload": "policy_document",
    "policy:upload_into": "policy_document",
    "supplies:price_import": "price_report_upload",
    "assistance:application_document": "assistance_document",
}

# How to fill a parameter ----------------------------------------------------------------------
# A spec is (kind, form): the object of that kind on the side, given as its pk / key / code …
# Kinds are the keys of `scenario.Side.objs`, plus the per-user kinds in `PER_USER`.

Spec = tuple[str, str]

PARAMS: dict[str, Spec] = {
    "key": ("division", "key"),
    "resident_id": ("resident", "pk"),
    "household_id": ("household", "pk"),
    "entry_id": ("key_person", "pk"),
    "need_id": ("need", "pk"),
    "case_id": ("case", "pk"),
    "contact_id": ("contact", "pk"),
    "job_id": ("finding_job", "pk"),
    "person_id": ("person", "pk"),
    "appeal_id": ("appeal", "pk"),
    "request_id": ("contact_request", "pk"),
    "round_id": ("round", "pk"),
    "barcode": ("tube", "barcode"),
    "worker_id": ("worker", "pk"),
    "site_id": ("quarantine_site", "pk"),
    "room_id": ("room", "pk"),
    "stay_id": ("stay", "pk"),
    "batch_id": ("batch", "pk"),
    "measure_id": ("measure", "pk"),
    "test_id": ("scheduled_test", "pk"),
    "alert_id": ("alert", "pk"),
    "transfer_id": ("transfer", "pk"),
    "trip_id": ("trip", "pk"),
    "handover_id": ("handover", "pk"),
    "zone_id": ("zone", "pk"),
    "evaluation_id": ("evaluation", "pk"),
    "token_id": ("api_token", "pk"),
    "lab_id": ("lab", "pk"),
    "facility_id": ("facility", "pk"),
    "care_request_id": ("care_request", "pk"),
    "hotline_request_id": ("hotline_request", "pk"),
    "health_plan_id": ("health_plan", "pk"),
    "standing_need_id": ("standing_need", "pk"),
    "medicine_order_id": ("medicine_order", "pk"),
    "incident_id": ("care_incident", "pk"),
    "direct_line_id": ("direct_line", "pk"),
    "profile_id": ("policy", "pk"),
    "activation_id": ("policy_activation", "pk"),
    "issue_id": ("report_issue", "pk"),
    "enterprise_id": ("enterprise", "pk"),
    "courier_id": ("courier", "pk"),
    "vehicle_id": ("vehicle", "pk"),
    "pass_id": ("supply_pass", "pk"),
    "price_alert_id": ("price_alert", "pk"),
    "receiving_point_id": ("receiving_point", "pk"),
    "supply_product_id": ("supply_product", "pk"),
    "supply_order_id": ("supply_order", "pk"),
    "order_batch_id": ("order_batch", "pk"),
    "application_id": ("assistance_application", "pk"),
}

# Names that mean different things on different routes: (route, parameter) → spec.
ROUTE_PARAMS: dict[tuple[str, str], Spec] = {
    ("tube_reopen", "barcode"): ("sealed_tube", "barcode"),
    ("token_revoke", "pk"): ("api_token", "pk"),
    ("people:resident", "pk"): ("resident", "pk"),
    ("people:resident_edit", "pk"): ("resident", "pk"),
    ("people:reveal", "pk"): ("resident", "pk"),
    ("people:key_person_new", "pk"): ("resident", "pk"),
    ("people:need_new", "pk"): ("resident", "pk"),
    ("people:household", "pk"): ("household", "pk"),
    ("people:key_person_remove", "pk"): ("key_person", "pk"),
    ("people:need_fulfil", "pk"): ("need", "pk"),
    ("people:need_cancel", "pk"): ("need", "pk"),
    ("people:import_rejected", "token"): ("rejected_rows", "token"),
    ("policy:activate", "pk"): ("policy", "pk"),
    ("policy:profile", "pk"): ("policy", "pk"),
    ("policy:copy", "pk"): ("policy", "pk"),
    ("policy:discard", "pk"): ("policy", "pk"),
    ("policy:download", "pk"): ("policy", "pk"),
    ("policy:upload_into", "pk"): ("policy", "pk"),
    ("policy:withdraw", "pk"): ("policy_activation", "pk"),
    ("epi:case", "pk"): ("case", "pk"),
    ("command:issue", "pk"): ("report_issue", "pk"),
    ("command:issue_pdf", "pk"): ("report_issue", "pk"),
    ("command:issue_xlsx", "pk"): ("report_issue", "pk"),
    ("epi:case_reclassify", "pk"): ("case", "pk"),
    ("epi:case_transfer", "pk"): ("case", "pk"),
    ("epi:case_close", "pk"): ("case", "pk"),
    ("epi:case_contacts_grid", "pk"): ("case", "pk"),
    ("epi:case_contacts_import", "pk"): ("case", "pk"),
    ("epi:contact", "pk"): ("contact", "pk"),
    ("epi:contact_status", "pk"): ("contact", "pk"),
    ("epi:contact_convert", "pk"): ("contact", "pk"),
    ("epi:finding_job", "pk"): ("finding_job", "pk"),
    ("epi:finding_job_progress", "pk"): ("finding_job", "pk"),
    ("epi:finding_job_decide", "pk"): ("finding_job", "pk"),
    ("healthcode:override_revoke", "pk"): ("override", "pk"),
    ("healthcode:appeal_decide", "pk"): ("appeal", "pk"),
    ("healthcode:appeal_reveal_phone", "pk"): ("appeal", "pk"),
    ("epi:contact_request", "pk"): ("contact_request", "pk"),
    ("epi:contact_request_decide", "pk"): ("contact_request", "pk"),
    ("epi:finding_job_refer", "pk"): ("finding_job", "pk"),
    ("public:verify", "token"): ("code_status", "token"),
    ("lab:round", "pk"): ("round", "pk"),
    ("lab:round_close", "pk"): ("round", "pk"),
    ("lab:round_turnaround", "pk"): ("round", "pk"),
    ("lab:round_missing", "pk"): ("round", "pk"),
    ("lab:riskpost_leave", "pk"): ("worker", "pk"),
    ("lab:lab", "pk"): ("lab", "pk"),
    ("lab:lab_status", "pk"): ("lab", "pk"),
    ("lab:lab_staff", "pk"): ("lab", "pk"),
    ("care:facility", "pk"): ("facility", "pk"),
    ("care:facility_status", "pk"): ("facility", "pk"),
    ("care:facility_staff", "pk"): ("facility", "pk"),
    ("care:request", "pk"): ("care_request", "pk"),
    ("hotline:request", "pk"): ("hotline_request", "pk"),
    ("hotline_public:mine", "token"): ("hotline_request", "caller_token"),
    ("open311:service", "code"): ("hotline_request", "category"),
    ("open311:request", "number"): ("hotline_request", "number"),
    ("open311:token", "token"): ("hotline_request", "caller_token"),
    ("care:dispatch", "pk"): ("care_request", "pk"),
    ("care:admission", "pk"): ("care_request", "pk"),
    ("care:admission_confirm", "pk"): ("care_request", "pk"),
    ("care:incident", "pk"): ("care_incident", "pk"),
    ("care:plan", "pk"): ("health_plan", "pk"),
    ("care:need", "pk"): ("standing_need", "pk"),
    ("care:medicine_order", "pk"): ("medicine_order", "pk"),
    ("care_public:my_substitute_answer", "pk"): ("medicine_order", "pk"),
    ("care:line", "pk"): ("direct_line", "pk"),
    ("care:line_remove", "pk"): ("direct_line", "pk"),
    ("assistance:application", "pk"): ("assistance_application", "pk"),
    ("assistance:application_document", "pk"): ("assistance_application", "pk"),
    ("assistance:document", "pk"): ("assistance_application", "pk"),
    ("assistance:document", "document_pk"): ("assistance_document", "pk"),
    ("assistance:application_review", "pk"): ("assistance_application", "pk"),
    ("assistance:application_decide", "pk"): ("assistance_application", "pk"),
    ("assistance:application_pay", "pk"): ("assistance_application", "pk"),
    ("assistance:application_withdraw", "pk"): ("assistance_application", "pk"),
    ("assistance_public:my_document", "pk"): ("assistance_application", "pk"),
    ("quarantine:site", "pk"): ("quarantine_site", "pk"),
    ("quarantine:site_rooms", "pk"): ("quarantine_site", "pk"),
    ("quarantine:site_rooms_import", "pk"): ("quarantine_site", "pk"),
    ("quarantine:site_rooms_status", "pk"): ("quarantine_site", "pk"),
    ("quarantine:site_staff", "pk"): ("quarantine_site", "pk"),
    ("quarantine:site_stays", "pk"): ("quarantine_site", "pk"),
    ("quarantine:site_in_use", "pk"): ("quarantine_site", "pk"),
    ("quarantine:site_stays_check_out", "pk"): ("quarantine_site", "pk"),
    ("quarantine:room", "pk"): ("room", "pk"),
    ("quarantine:stay_move", "pk"): ("stay", "pk"),
    ("quarantine:allocation", "pk"): ("batch", "pk"),
    ("quarantine:allocation_action", "pk"): ("batch", "pk"),
    ("quarantine:measure", "pk"): ("measure", "pk"),
    ("quarantine:measure_close", "pk"): ("measure", "pk"),
    ("quarantine:measure_checkin", "pk"): ("measure", "pk"),
    ("quarantine:measure_release", "pk"): ("measure", "pk"),
    ("quarantine:measure_site_release", "pk"): ("measure", "pk"),
    ("quarantine:certificate", "pk"): ("released_measure", "pk"),
    ("quarantine:transfer_new", "pk"): ("measure", "pk"),
    ("quarantine:test_sampled", "pk"): ("scheduled_test", "pk"),
    ("quarantine:alert_handle", "pk"): ("alert", "pk"),
    ("quarantine:transfer_depart", "pk"): ("transfer", "pk"),
    ("quarantine:transfer_hand_over", "pk"): ("transfer", "pk"),
    ("quarantine:transfer_cancel", "pk"): ("transfer", "pk"),
    ("travel:trip", "pk"): ("trip", "pk"),
    ("travel:handover_acknowledge", "pk"): ("handover", "pk"),
    ("zones:evaluation_decide", "pk"): ("evaluation", "pk"),
    ("zones:zone", "pk"): ("zone", "pk"),
    ("zones:activate", "pk"): ("proposed_zone", "pk"),
    ("zones:withdraw", "pk"): ("proposed_zone", "pk"),
    ("zones:level", "pk"): ("zone", "pk"),
    ("zones:extend", "pk"): ("zone", "pk"),
    ("zones:round", "pk"): ("zone", "pk"),
    ("place_detail", "code"): ("division", "code"),
    ("place_rename", "code"): ("division", "code"),
    ("place_children", "code"): ("division", "code"),
    ("place_add_child", "code"): ("division", "code"),
    ("venue_checkins", "code"): ("venue", "code"),
    ("code_verify", "token"): ("code_status", "token"),
    ("measure_certificate", "measure_id"): ("released_measure", "pk"),
    ("quarantine_stay_check_in", "stay_id"): ("planned_stay", "pk"),
    ("trip_arrival", "trip_id"): ("reported_trip", "pk"),
    ("zone_activate", "zone_id"): ("proposed_zone", "pk"),
    ("zone_withdraw", "zone_id"): ("proposed_zone", "pk"),
    ("supplies:enterprise", "pk"): ("enterprise", "pk"),
    ("supplies:enterprise_status", "pk"): ("enterprise", "pk"),
    ("supplies:enterprise_staff", "pk"): ("enterprise", "pk"),
    ("supplies:vehicle_add", "pk"): ("enterprise", "pk"),
    ("supplies:courier_add", "pk"): ("enterprise", "pk"),
    ("supplies:courier", "pk"): ("courier", "pk"),
    ("supplies:courier_status", "pk"): ("courier", "pk"),
    ("supplies:courier_pass", "pk"): ("courier", "pk"),
    ("supplies:vehicle", "pk"): ("vehicle", "pk"),
    ("supplies:vehicle_status", "pk"): ("vehicle", "pk"),
    ("supplies:vehicle_pass", "pk"): ("vehicle", "pk"),
    ("supplies:pass", "pk"): ("supply_pass", "pk"),
    ("supplies:pass_revoke", "pk"): ("supply_pass", "pk"),
    ("supplies:price_alert_status", "pk"): ("price_alert", "pk"),
    ("supplies:order", "pk"): ("supply_order", "pk"),
    ("supplies:order_deliver", "pk"): ("supply_order", "pk"),
    ("supplies:order_photo", "pk"): ("supply_order", "pk"),
    ("supplies:order_problem", "pk"): ("supply_order", "pk"),
    ("supplies:order_cancel", "pk"): ("supply_order", "pk"),
    ("supplies:batch", "pk"): ("order_batch", "pk"),
    ("supplies:point", "pk"): ("receiving_point", "pk"),
}

# Parameters that are not objects: every value is tried, on both sides.
ENUMS: dict[str, list[str]] = {
    "field": ["phone", "id_number"],
    "fmt": ["csv", "xlsx"],
    "figure": sorted(LISTS),
    "action": ["confirm", "remove", "cancel", "again"],
    "ext": ["json"],
}

# Body and query fields that name an object: field → spec ("ref" = the kind's usual reference:
# its pk where the schema wants an integer, its code / ID number / barcode where a string).
FIELDS: dict[str, Spec] = {
    "place": ("division", "ref"),
    "places": ("division", "ref"),
    "area": ("division", "ref"),
    "parent": ("division", "key"),
    "community": ("community", "ref"),
    "street": ("street", "key"),
    "resident": ("resident", "ref"),
    "person": ("person", "ref"),
    "id_number": ("person", "id_number"),
    "id_numbers": ("person", "id_number"),
    "people": ("planned", "pk"),
    "household": ("household", "ref"),
    "household_code": ("household", "code"),
    "case": ("case", "ref"),
    "cases": ("case", "ref"),
    "measure": ("measure", "pk"),
    "room": ("room", "pk"),
    "round": ("round", "pk"),
    "site": ("site", "ref"),
    "sites": ("site", "ref"),
    "lab": ("lab", "ref"),
    "barcodes": ("tube", "barcode"),
    "candidates": ("candidate", "pk"),
    "candidate": ("candidate", "pk"),
    "usernames": ("staff", "username"),
    "trip": ("reported_trip", "pk"),
    "ids": ("contact", "pk"),
    "tube": ("tube", "barcode"),
    "contact_hospital_id": ("facility", "pk"),
    "facility_id": ("facility", "pk"),
    "pharmacy_id": ("pharmacy", "pk"),
    "course_id": ("medicine_course", "pk"),
    "employer": ("worker", "employer"),
    "q": ("resident", "name_initials"),  # a search that finds the name, without sending it
}

# Fields named alike on operations where they mean something else: (operationId, field) → spec,
# or None for "not an object: use the type's default".
OP_FIELDS: dict[tuple[str, str], Spec | None] = {
    ("trip_new", "destination"): ("community", "code"),
    ("resident_new", "id_number"): None,  # a new resident: the place is the reference
    ("trip_new", "id_number"): ("traveller", "id_number"),
    ("floor_save", "site"): ("quarantine_site", "pk"),
    ("floor_rows", "site"): ("quarantine_site", "pk"),
    ("measure_list", "site"): ("quarantine_site", "pk"),
    ("tube_open", "round"): ("round", "pk"),
    ("resident_edit", "place"): None,  # moving a resident: the resident is the reference
    ("quarantine_site_new", "code"): None,
    ("trip_list", "q"): ("reported_trip", "code"),
    ("policy_compare", "a"): ("policy", "pk"),
    ("policy_compare", "b"): ("policy", "pk"),
    ("enterprise_new", "code"): None,
    ("pass_verify", "code"): None,
    ("care_requests_route", "ids"): ("care_request", "pk"),
    ("care_facility_new", "code"): None,
    ("hotline_request_merge", "into"): ("hotline_request", "pk"),
    ("hotline_department_new", "code"): None,
    ("hotline_department_new", "division_id"): ("street", "pk"),
    ("hotline_department_new", "staff"): ("staff", "username"),
    ("care_orders_batch", "ids"): ("medicine_order", "pk"),
    ("supply_point_new", "compound"): ("compound", "key"),
    ("supply_order_new", "person_id"): ("person", "pk"),
    ("supply_order_new", "product_id"): ("supply_product", "pk"),
}

# Values for fields that are not objects, where the type alone would be refused.
CONSTANTS: dict[str, Any] = {
    "reason": "矩阵测试",
    "basis": "《防控方案》第九版",
    "note": "矩阵",
    "name": "矩阵名",
    "description": "矩阵需求",
    "code": "MATRIX-1",
    "phone": "13800000000",
    "post": "分拣",
    "employer": "矩阵公司",
    "checkpoint": "许昌东站",
    "origin": "郑州市",
    "destination": "矩阵医院",
    "received_by": "矩阵医生",
    "outcome": "已处理",
    "statement": "矩阵申诉",
    "temperature": 36.6,
    "floor": 2,
    "building": "A",
    "barcode": "TB-MATRIX-NEW",
    "level": "high",
    "colour": "yellow",
    "decision": "upheld",
    "status": "located",
    "kind": "confirmed",
    "category": "close_contact",
    "source": "id_numbers",
    "origin_kind": "high_risk_area",
    "transport": "train",
    "destination_kind": "designated_hospital",
    "found_by": "community_screening",
    "found_where": "community",
    "group": "group_2",
    "mode": "single",
    "valid_days": 1,
    "pool_size": 10,
    "padding_minutes": 0,
}


class Ref(NamedTuple):
    """In a body: the side's object of `kind`, as `form` ("str": its usual string reference)."""

    kind: str
    form: str = "str"


NEW_ID = make_id_number("411002", dt.date(1990, 1, 1), 999, "F")  # nobody has it


def _yesterday() -> str:
    return (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def _now(minutes: int = -30) -> str:
    return (timezone.localtime() + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


def _situation_lines() -> dict[str, Any]:
    """A situation import naming a case and a person (else `people`, `cases` get ids)."""
    contact = {
        "case_number": Ref("case", "number"),
        "id_number": Ref("person", "id_number"),
        "degree": "close",
    }
    # the other kinds empty: their names ("sites", "rooms", …) are not ids of objects here
    others = ("measures", "sites", "rooms", "stays", "zones", "rounds")
    return {"people": [], "cases": [], "contacts": [contact]} | {k: [] for k in others}


# API bodies that need more than the generated one to go through inside (merged over it).
OP_BODY: dict[str, Callable[[], dict[str, Any]]] = {
    "command_report_issue": lambda: {"day": _yesterday(), "place": Ref("division", "key")},
    "situation_preview": _situation_lines,
    "situation_import_api": _situation_lines,
    "resident_new": lambda: {"place": Ref("unit", "code")},
    "case_reclassify": lambda: {"kind": "asymptomatic"},
    "case_close": lambda: {"status": "recovered"},
    "case_contacts_add": lambda: {
        "id_number": Ref("person", "id_number"),
        "name": Ref("person", "name"),
        "degree": "close",
        "relation": "household",
        "last_exposure_on": _yesterday(),
    },
    "contacts_status": lambda: {"ids": [Ref("contact", "pk")]},
    "cases_reclassify": lambda: {"ids": [Ref("case", "pk")], "kind": "asymptomatic"},
    "cases_close": lambda: {"ids": [Ref("case", "pk")], "status": "recovered"},
    "cases_transfer": lambda: {
        "ids": [Ref("case", "pk")],
        "destination": "designated_hospital",
        "destination_name": "矩阵医院",
        "transferred_at": _now(),
    },
    "tubes_send": lambda: {"barcodes": [Ref("full_tube", "barcode")], "lab": Ref("lab", "code")},
    "tubes_receive": lambda: {"barcodes": [Ref("sent_tube", "barcode")], "lab": Ref("lab", "code")},
    "quarantine_rooms_add": lambda: {"rooms": [{"building": "B", "floor": 3, "number": "301"}]},
    "quarantine_allocation_propose": lambda: {"anchor_on": _yesterday()},
    "quarantine_room_status": lambda: {"status": "closed"},
    "quarantine_site_staff": lambda: {"usernames": [Ref("staff2", "username")]},
    "quarantine_site_in_use": lambda: {"active": True, "reason": "矩阵"},
    "quarantine_stays_check_in": lambda: {"ids": [Ref("planned_stay", "pk")]},
    "stays_check_out": lambda: {"ids": [Ref("stay", "pk")]},
    "measures_end": lambda: {"ids": [Ref("measure", "pk")], "reason": "矩阵"},
    "lab_staff": lambda: {"usernames": [Ref("lab_staff2", "username")]},
    "care_facility_new": lambda: {"kind": "general", "place": Ref("street")},
    "care_facility_change": lambda: {"kind": "general", "place": Ref("street")},
    "care_facility_status": lambda: {"active": False, "reason": "矩阵"},
    "care_facility_staff": lambda: {"usernames": [Ref("facility_staff2", "username")]},
    "care_request_new": lambda: {"type": "fever"},
    "hotline_classify": lambda: {"text": "停水两天了"},
    "hotline_wechat": lambda: {"text": "张三：停水两天了"},
    "hotline_request_new": lambda: {"text": "停水两天了", "category": "repair"},
    "hotline_request_category": lambda: {"category": "other"},
    "hotline_request_notes": lambda: {"text": "矩阵进展"},
    "hotline_request_complete": lambda: {"reply": "矩阵办结"},
    "hotline_request_callback": lambda: {"solved": True, "satisfaction": 5},
    "hotline_department_new": lambda: {"kind": "utilities"},
    "care_request_status": lambda: {"status": "cancelled", "reason": "矩阵"},
    "care_plan_save": lambda: {"category": "dialysis"},
    "care_plan_change": lambda: {"category": "chronic"},
    "care_need_add": lambda: {"type": "dialysis", "repeat": "weekly", "weekdays": [0]},
    "care_need_change": lambda: {"type": "dialysis", "repeat": "weekly", "weekdays": [1]},
    "care_course_new": lambda: {"medicine": "矩阵药", "daily_dose": "1", "supply": "3"},
    "care_order_new": lambda: {"medicine": "矩阵药", "quantity": "1"},
    "care_order_step": lambda: {"step": "cancel", "reason": "矩阵"},
    "care_incident_resolve": lambda: {"resolution": "矩阵处置"},
    "care_my_substitute_answer": lambda: {"decision": "decline", "reason": "矩阵"},
    "care_line_new": lambda: {"kind": "vehicle", "name": "矩阵专车", "phone": "13900009999"},
    "care_line_change": lambda: {"kind": "vehicle", "name": "矩阵专车", "phone": "13900009998"},
    "assistance_application_new": lambda: {
        "programme": "dibao",
        "monthly_income": "0",
        "assets": "0",
    },
    "assistance_application_decide": lambda: {"decision": "refuse", "reason": "矩阵"},
    "assistance_payment_new": lambda: {"amount": "1", "period": ""},
    "my_assistance_apply": lambda: {"programme": "temporary", "monthly_income": "0", "assets": "0"},
    "my_assistance_identify": lambda: {
        "id_number": Ref("person", "id_number"),
        "phone": Ref("person", "phone"),
    },
    "lab_new": lambda: {"place": Ref("street"), "capacity_per_day": 100},
    "lab_change": lambda: {"place": Ref("street"), "capacity_per_day": 100},
    "enterprise_new": lambda: {
        "kind": "pharmacy",
        "credit_code": "91411002MA46E7WM5A",
        "place": Ref("street"),
    },
    "enterprise_whitelist": lambda: {"status": "suspended"},
    "price_store_new": lambda: {
        "enterprise_id": Ref("enterprise", "pk"),
        "name": "矩阵店",
        "place": Ref("street"),
    },
    "price_report_new": lambda: {
        "reports": [
            {
                "store_id": Ref("price_store", "pk"),
                "item": "pork",
                "day": _yesterday(),
                "price": "21",
                "stock": "900",
            }
        ]
    },
    "price_alert_status": lambda: {"status": "resolved", "note": "矩阵"},
    "courier_whitelist": lambda: {"status": "suspended"},
    "vehicle_whitelist": lambda: {"status": "suspended"},
    "enterprise_staff": lambda: {"usernames": [Ref("supply_staff2", "username")]},
    "vehicle_new": lambda: {"plate": "豫K33333", "area": Ref("street")},
    "courier_new": lambda: {
        "id_number": Ref("person", "id_number"),
        "name": Ref("person", "name"),
        "area": Ref("street"),
        "home_address": "矩阵路 1 号",
    },
    "test_sampled": lambda: {"barcode": Ref("tube", "barcode")},
    "trip_new": lambda: {"id_number": Ref("person", "id_number"), "name": Ref("person", "name")},
    "trip_arrival": lambda: {"checkpoint": "许昌东站"},
    "zone_extend": lambda: {"places": [Ref("building2", "code")]},
    "zone_level": lambda: {"level": "low"},
    "fhir_bundle": lambda: {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {
                "fullUrl": "urn:uuid:s1",
                "resource": {
                    "resourceType": "Specimen",
                    "id": "s1",
                    "identifier": [{"system": "urn:fangkong:tube", "value": Ref("sent_tube")}],
                },
            },
            {
                "fullUrl": "urn:uuid:o1",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "94500-6"}]},
                    "specimen": {"reference": "urn:uuid:s1"},
                    "valueCodeableConcept": {
                        "coding": [{"system": "http://snomed.info/sct", "code": "260415000"}]
                    },
                    "effectiveDateTime": timezone.localtime().isoformat(),
                },
            },
        ],
    },
}

# Page forms that need more than the generic body to go through inside (merged over it).
PAGE_FORMS: dict[str, Callable[[], dict[str, Any]]] = {
    "command:issues": lambda: {
        "day": _yesterday(),
        "reason": "矩阵重发",
        "place": Ref("division", "key"),
    },
    "people:resident_new": lambda: {
        "id_number": NEW_ID,
        "place": Ref("unit", "code"),
        "household_code": "",
    },
    "people:resident_edit": lambda: {
        "name": "矩阵改名",
        "place": Ref("unit", "code"),
        "household_code": "",
        "relation": "",
    },
    "people:key_person_new": lambda: {"category": "chronic"},
    "people:need_new": lambda: {"kind": "food"},
    "people:key_person_remove": lambda: {"reason": "矩阵"},
    "people:import": lambda: {"mode": "all"},
    "epi:case_reclassify": lambda: {"kind": "asymptomatic"},
    "epi:case_transfer": lambda: {
        "destination": "designated_hospital",
        "destination_name": "矩阵医院",
        "transferred_at": _now(),
    },
    "epi:case_close": lambda: {"status": "recovered", "outcome_on": timezone.localdate()},
    "epi:finding": lambda: {"cases": Ref("case", "pk")},
    "epi:contact_status": lambda: {"status": "located"},
    "epi:contacts_status": lambda: {"status": "located", "ids": Ref("contact", "pk")},
    "epi:cases_bulk": lambda: {
        "action": "reclassify",
        "ids": Ref("case", "pk"),
        "reclassify-kind": "asymptomatic",
        "reclassify-reason": "矩阵",
    },
    "lab:round_new": lambda: {
        "area": Ref("community", "code"),
        "pool_size": "10",
        "starts_at": _now(5),
        "sites": Ref("site", "pk"),
    },
    "lab:results": lambda: {"lab": Ref("lab", "pk")},
    "lab:custody_send": lambda: {"lab": Ref("lab", "pk"), "tube": Ref("full_tube", "pk")},
    "lab:custody_receive": lambda: {"lab": Ref("lab", "pk"), "barcodes": Ref("sent_tube")},
    "quarantine:sites": lambda: {"code": "QS-MATRIX", "kind": "hotel", "place": Ref("street")},
    "quarantine:site_rooms": lambda: {
        "building": "B",
        "floor_from": "3",
        "floor_to": "3",
        "room_from": "1",
        "room_to": "2",
        "beds": "1",
    },
    "quarantine:site_rooms_status": lambda: {"status": "closed", "rooms": Ref("room", "pk")},
    "quarantine:site_staff": lambda: {"usernames": Ref("staff2", "username")},
    "quarantine:site_in_use": lambda: {"active": "1", "reason": "矩阵"},
    "quarantine:site_stays_check_out": lambda: {"ids": Ref("stay", "pk")},
    "quarantine:measures_end": lambda: {"ids": Ref("measure", "pk"), "reason": "矩阵"},
    "lab:labs": lambda: {
        "code": "LAB-MATRIX",
        "place": Ref("street"),
        "capacity_per_day": "100",
        "turnaround": "voluntary",
    },
    "lab:lab": lambda: {
        "place": Ref("street"),
        "area": Ref("division", "code"),
        "capacity_per_day": "100",
        "turnaround": "voluntary",
    },
    "lab:lab_status": lambda: {"active": "0"},
    "supplies:enterprises": lambda: {
        "kind": "pharmacy",
        "credit_code": "91411002MA46E7WM5A",
        "place": Ref("street"),
    },
    "supplies:enterprise_status": lambda: {"status": "suspended"},
    "supplies:price_report": lambda: {
        "store": Ref("price_store", "pk"),
        "item": Ref("pork", "pk"),
        "day": _yesterday(),
        "price": "21",
        "stock": "900",
    },
    "supplies:price_stores": lambda: {
        "enterprise": Ref("enterprise", "pk"),
        "name": "矩阵店",
        "place": Ref("street"),
    },
    "supplies:price_alert_status": lambda: {"status": "resolved", "note": "矩阵"},
    "supplies:price_catalogue": lambda: {
        "item": "pork",
        "per_capita_daily": "0.08",
        "max_price": "200",
        "active": "on",
    },
    "supplies:courier_status": lambda: {"status": "suspended"},
    "supplies:vehicle_status": lambda: {"status": "suspended"},
    "supplies:enterprise_staff": lambda: {"staff": Ref("supply_staff2", "username")},
    "supplies:vehicle_add": lambda: {"vehicle-plate": "豫K33333", "vehicle-area": Ref("street")},
    "supplies:courier_add": lambda: {
        "courier-id_number": Ref("person", "id_number"),
        "courier-name": Ref("person", "name"),
        "courier-phone": "13800000000",
        "courier-area": Ref("street"),
        "courier-home_address": "矩阵路 1 号",
    },
    "care:facilities": lambda: {"code": "FAC-MATRIX", "kind": "general", "place": Ref("street")},
    "care:facility": lambda: {"kind": "general", "place": Ref("street")},
    "care:facility_status": lambda: {"active": "0", "reason": "矩阵"},
    "care:facility_staff": lambda: {"usernames": Ref("facility_staff2", "username")},
    "care:request_new": lambda: {"id_number": Ref("person", "id_number"), "type": "fever"},
    "assistance:application_new": lambda: {
        "id_number": Ref("person", "id_number"),
        "programme": "dibao",
        "monthly_income": "0",
        "assets": "0",
        "months_without_income": "0",
    },
    "assistance:application_document": lambda: {"kind": "work_record"},
    "assistance:application_review": lambda: {"note": "矩阵核查"},
    "assistance:application_decide": lambda: {"decision": "refuse", "reason": "矩阵"},
    "assistance:application_pay": lambda: {"amount": "1", "paid_on": today().isoformat()},
    "assistance_public:my_document": lambda: {"kind": "work_record"},
    "care:request": lambda: {"status": "cancelled", "reason": "矩阵"},
    "hotline:intake": lambda: {
        "text": "停水两天了",
        "channel": "phone",
        "category": "repair",
        "id_number": Ref("person", "id_number"),
    },
    "hotline:request": lambda: {"action": "dispatch", "reason": "矩阵"},
    "hotline:wechat": lambda: {"text": "张三：停水两天了"},
    "hotline:departments": lambda: {"kind": "utilities", "division": Ref("street", "pk")},
    "hotline_public:form": lambda: {"text": "停水两天了", "phone": "13800000000"},
    "care:plans": lambda: {"id_number": Ref("person", "id_number"), "category": "dialysis"},
    "care:plan": lambda: {"form": "plan", "category": "chronic"},
    "care:need": lambda: {
        "type": "dialysis",
        "repeat": "weekly",
        "weekdays": "1",
        "starts_on": _yesterday(),
        "active": "on",
    },
    "care:medicine": lambda: {
        "form": "order",
        "id_number": Ref("person", "id_number"),
        "medicine": "矩阵药",
        "quantity": "1",
        "pharmacy": Ref("pharmacy", "pk"),
        "deliver_to": "point",
    },
    "care:medicine_order": lambda: {"step": "cancel", "reason": "矩阵"},
    "care:incident": lambda: {"resolution": "矩阵处置", "basis": "矩阵"},
    "care_public:my_substitute_answer": lambda: {"decision": "decline", "reason": "矩阵"},
    "care:lines": lambda: {
        "community": Ref("community", "code"),
        "kind": "vehicle",
        "name": "矩阵专车",
        "phone": "13900009999",
    },
    "care:line": lambda: {
        "community": Ref("community", "code"),
        "kind": "vehicle",
        "name": "矩阵专车",
        "phone": "13900009998",
    },
    "lab:lab_staff": lambda: {"usernames": Ref("lab_staff2", "username")},
    "quarantine:room": lambda: {"status": "closed"},
    "zones:level": lambda: {"level": "low"},
    "zones:extend": lambda: {"places": Ref("building2", "code")},
    "travel:checkpoint": lambda: {
        "action": "register",
        "name": Ref("person", "name"),
        "id_number": Ref("person", "id_number"),
        "destination": Ref("community", "key"),
        "arriving_at": _now(),
        "departed_on": _yesterday(),
    },
    "travel:report": lambda: {
        "name": Ref("person", "name"),
        "id_number": Ref("person", "id_number"),
        "destination": Ref("community", "key"),
        "arriving_at": _now(),
        "departed_on": _yesterday(),
    },
}


def today() -> dt.date:
    return timezone.localdate()


def _date_for(field: str) -> str:
    if field in {"departed_on", "anchor_on", "sampled_on", "since", "last_exposure_on"}:
        return (today() - dt.timedelta(days=1)).isoformat()
    return today().isoformat()


def _datetime_for(field: str) -> str:
    now = timezone.localtime()
    if field in {"arriving_at", "arrived_at", "departed_at", "handed_over_at", "sampled_at"}:
        return (now - dt.timedelta(minutes=30)).isoformat()
    return now.isoformat()


# The routes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    kind: str  # "page", "api" or "admin"
    name: str  # URL name, or the operationId of an API operation
    template: str  # "/people/residents/<int:pk>/", "/api/cases/{case_id}"
    methods: tuple[str, ...]
    params: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{'+'.join(self.methods)} {self.template}"

    @property
    def public(self) -> bool:
        return self.name in PUBLIC


def _walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[tuple[str, str, Any]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = ":".join(x for x in (ns, p.namespace) if x) if p.namespace else ns
            yield from _walk(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            name = f"{ns}:{p.name}" if ns and p.name else (p.name or "")
            yield "/" + prefix + str(p.pattern), name, p


def _params(p: URLPattern) -> tuple[str, ...]:
    return tuple(p.pattern.regex.groupindex)


def url_patterns() -> list[tuple[str, str, Any]]:
    return list(_walk(get_resolver().url_patterns))


def page_routes() -> list[Route]:
    """Every pattern of the URL conf but the admin's and the API operations (`api_routes`)."""
    operations = {f"api:{rt.name}" for rt in api_routes()}
    return [
        Route("page", name, template, _methods(p), _params(p))
        for template, name, p in url_patterns()
        if not template.startswith("/admin/") and name not in operations
    ]


def _methods(p: URLPattern) -> tuple[str, ...]:
    """GET, and POST unless the view never looks at the method (then a POST is a GET again)."""
    view = getattr(p.callback, "view_class", None) or inspect.unwrap(p.callback)
    try:
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return ("GET", "POST")
    return ("GET", "POST") if re.search(r"POST|method", source) else ("GET",)


def admin_routes() -> list[Route]:
    return [
        Route("admin", name or template, template, ("GET",), _params(p))
        for template, name, p in url_patterns()
        if template.startswith("/admin/")
    ]


@functools.cache
def openapi() -> dict[str, Any]:
    return api.get_openapi_schema(path_prefix="/api")


def api_routes() -> list[Route]:
    out = []
    for path, ops in openapi()["paths"].items():
        for method, op in ops.items():
            params = tuple(re.findall(r"{(\w+)}", path))
            out.append(Route("api", op["operationId"], path, (method.upper(),), params))
    return out


def operation(route: Route) -> dict[str, Any]:
    return dict(openapi()["paths"][route.template][route.methods[0].lower()])


# Filling ---------------------------------------------------------------------------------------


class Unfillable(Exception):
    """A route parameter nobody said how to fill."""


def spec_for(route: Route, param: str) -> Spec | None:
    if (route.name, param) in ROUTE_PARAMS:
        return ROUTE_PARAMS[(route.name, param)]
    if param in PARAMS and param not in {"pk", "code", "token"}:
        return PARAMS[param]
    return None


def how_to_cover(route: Route, param: str) -> str:
    return (
        f"{route.id} ({route.name}): no way to fill the path parameter {param!r} with an object "
        f"inside / outside the caller's jurisdiction. Add ({route.name!r}, {param!r}) to "
        f"ROUTE_PARAMS (or {param!r} to PARAMS, or to ENUMS if it is not an object) in "
        f"tests/security/routes.py, with the scenario's object in tests/security/scenario.py; "
        f"or, if it needs no login, add {route.name!r} to PUBLIC with the reason."
    )


def path_values(route: Route, resolve: Callable[[Spec], Any]) -> list[dict[str, Any]]:
    """Every combination of parameter values for this route (enumerations multiply)."""
    combos: list[dict[str, Any]] = [{}]
    for param in route.params:
        if route.kind == "admin":
            values: list[Any] = [ADMIN_VALUES.get(param, "1")]
        elif param in ENUMS:
            values = list(ENUMS[param])
        else:
            spec = spec_for(route, param)
            if spec is None:
                raise Unfillable(how_to_cover(route, param))
            values = [resolve(spec)]
        combos = [{**c, param: v} for c in combos for v in values]
    return combos


ADMIN_VALUES = {"object_id": "1", "content_type_id": "1", "id": "1", "url": "x"}


def build_path(route: Route, values: dict[str, Any]) -> str:
    if route.kind == "api":
        return route.template.format(**values)
    path = route.template
    for name, value in values.items():
        path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
        path = re.sub(rf"\(\?P<{name}>([^|)]*)[^)]*\)", _admin_alt(name, value), path)
    return path.replace("^", "").replace("$", "")


def _admin_alt(name: str, value: Any) -> Callable[[re.Match[str]], str]:
    def first(m: re.Match[str]) -> str:
        return m.group(1) if name == "app_label" else str(value)

    return first


# Bodies ------------------------------------------------------------------------------------------


def _resolve_schema(schema: dict[str, Any]) -> dict[str, Any]:
    components = openapi()["components"]["schemas"]
    while "$ref" in schema:
        schema = components[schema["$ref"].split("/")[-1]]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [_resolve_schema(s) for s in schema[key] if s.get("type") != "null"]
            objects = [s for s in options if s.get("type") == "object"]
            return (objects or options)[0]
    if "allOf" in schema:
        return _resolve_schema(schema["allOf"][0])
    return schema


def value_for(
    field: str, schema: dict[str, Any], op: str, resolve: Callable[[Spec], Any]
) -> tuple[bool, Any]:
    """(names an object?, value) for a body or query field."""
    schema = _resolve_schema(schema)
    spec = OP_FIELDS[(op, field)] if (op, field) in OP_FIELDS else FIELDS.get(field)
    if spec is not None:
        kind, form = spec
        if schema.get("type") == "array":
            item = _resolve_schema(schema.get("items", {}))
            if form == "ref":
                form = "pk" if item.get("type") == "integer" else "str"
            return True, [resolve((kind, form))]
        if form == "ref":
            form = "pk" if schema.get("type") == "integer" else "str"
        return True, resolve((kind, form))
    return False, default_for(field, schema, op, resolve)


def default_for(field: str, schema: dict[str, Any], op: str, resolve: Callable[[Spec], Any]) -> Any:
    if "enum" in schema:
        wanted = CONSTANTS.get(field)
        return wanted if wanted in schema["enum"] else schema["enum"][0]
    kind = schema.get("type")
    if field == "id_number" or (field == "id_numbers" and kind == "string"):
        return make_id_number("411002", dt.date(1990, 1, 1), 999, "F")
    if kind == "object":
        return body_for(schema, op, resolve)[1]
    if kind == "array":
        return [default_for(field, _resolve_schema(schema.get("items", {})), op, resolve)]
    if kind == "string":
        if schema.get("format") == "date":
            return _date_for(field)
        if schema.get("format") == "date-time":
            return _datetime_for(field)
        if "pattern" in schema and field in CONSTANTS:
            return CONSTANTS[field]
        value = CONSTANTS.get(field, "矩阵")
        return str(value)
    if kind == "integer":
        value = CONSTANTS.get(field, 1)
        return value if isinstance(value, int) else 1
    if kind == "number":
        return CONSTANTS.get(field, 1.0)
    if kind == "boolean":
        return False
    return CONSTANTS.get(field, "矩阵")


def body_for(
    schema: dict[str, Any], op: str, resolve: Callable[[Spec], Any]
) -> tuple[bool, dict[str, Any]]:
    """A minimal body: every required field, and every optional one that names an object."""
    schema = _resolve_schema(schema)
    required = set(schema.get("required", []))
    names_object = False
    body: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        is_object, value = value_for(name, prop, op, resolve)
        if name in required or is_object or name in CONSTANTS:
            body[name] = value
            names_object = names_object or is_object
    return names_object, body


def request_body(route: Route, resolve: Callable[[Spec], Any]) -> tuple[str, Any, bool]:
    """(content type, body, names an object?) of an API operation."""
    content = operation(route).get("requestBody", {}).get("content", {})
    if not content:
        return "", None, False
    ctype, media = next(iter(content.items()))
    if ctype == "multipart/form-data":
        return ctype, None, True  # files: see FILES
    names_object, body = body_for(media.get("schema", {}), route.name, resolve)
    if route.name in OP_BODY:
        extra = OP_BODY[route.name]()
        names_object = names_object or _names_object(extra)
        body = {**body, **fill_refs(extra, resolve)}
    return ctype, body, names_object


def _names_object(value: Any) -> bool:
    if isinstance(value, Ref):
        return True
    if isinstance(value, dict):
        return any(_names_object(v) for v in value.values())
    if isinstance(value, list):
        return any(_names_object(v) for v in value)
    return False


def fill_refs(value: Any, resolve: Callable[[Spec], Any]) -> Any:
    """Replace every `Ref` in a body by the side's object."""
    if isinstance(value, Ref):
        return resolve((value.kind, value.form))
    if isinstance(value, dict):
        return {k: fill_refs(v, resolve) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_refs(v, resolve) for v in value]
    return value


def query_for(route: Route, resolve: Callable[[Spec], Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in operation(route).get("parameters", []):
        if p["in"] != "query":
            continue
        is_object, value = value_for(p["name"], p.get("schema", {}), route.name, resolve)
        if is_object or p.get("required"):
            out[p["name"]] = value[0] if isinstance(value, list) else value
    return out


# Pages take form posts: one generic body with every field name the forms use.
PAGE_FIELDS = [
    "place",
    "places",
    "area",
    "person",
    "id_number",
    "id_numbers",
    "household_code",
    "case",
    "cases",
    "measure",
    "room",
    "round",
    "site",
    "sites",
    "lab",
    "barcodes",
    "candidate",
    "usernames",
    "trip",
    "ids",
    "tube",
    "community",
]
PAGE_CONSTANTS = {
    **{k: str(v) for k, v in CONSTANTS.items()},
    "sampled_on": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
}


def page_query(resolve: Callable[[Spec], Any]) -> dict[str, str]:
    """Filters the pages read (`place`, `q`, …), naming the side's objects."""
    return {
        "place": str(resolve(("division", "key"))),
        "q": str(resolve(("resident", "name_initials"))),
        "site": str(resolve(("quarantine_site", "pk"))),
        "round": str(resolve(("round", "pk"))),
        "trip": str(resolve(("reported_trip", "pk"))),
        "community": str(resolve(("community", "key"))),
        "parent": str(resolve(("division", "key"))),
        "employer": str(resolve(("worker", "employer"))),
        "bbox": "-180,-90,180,90",  # the places' map in view: the whole world
        "zoom": "18",  # … at the zoom that draws every level
    }


def page_body(route: Route, resolve: Callable[[Spec], Any]) -> dict[str, Any]:
    body: dict[str, Any] = dict(PAGE_CONSTANTS)
    for field in PAGE_FIELDS:
        kind, form = FIELDS[field]
        if form == "ref":
            form = "str"
        body[field] = str(resolve((kind, form)))
    body["person"] = str(resolve(("person", "id_number")))
    body["site"] = str(resolve(("quarantine_site", "pk")))
    day = today()
    body.update(
        {
            "day": day.isoformat(),
            "reported_on": day.isoformat(),
            "anchor_on": (day - dt.timedelta(days=1)).isoformat(),
            "departed_on": (day - dt.timedelta(days=1)).isoformat(),
            "arriving_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        }
    )
    if route.name in PAGE_FORMS:
        extra = fill_refs(PAGE_FORMS[route.name](), resolve)
        body.update({k: str(v) for k, v in extra.items()})
    return body
