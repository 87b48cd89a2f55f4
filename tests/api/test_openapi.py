import enum
import re
import typing

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from pydantic import BaseModel

from fangkong.policy.services import profiles_install_shipped

PATHS = {
    "/api/me",
    "/api/tokens",
    "/api/tokens/{token_id}",
    "/api/places",
    "/api/places/{code}",
    "/api/places/{code}/children",
    "/api/venues",
    "/api/residents",
    "/api/residents/{resident_id}",
    "/api/residents/{resident_id}/events",
    "/api/residents/{resident_id}/needs",
    "/api/households",
    "/api/households/{household_id}",
    "/api/key-persons",
    "/api/key-persons/{entry_id}",
    "/api/needs/{need_id}/fulfil",
    "/api/needs/{need_id}/cancel",
    "/api/policy/active",
    "/api/policy/schema",
    "/api/policy/profiles",
    "/api/policy/profiles/{profile_id}",
    "/api/policy/profiles/{profile_id}/copy",
    "/api/policy/validate",
    "/api/policy/compare",
    "/api/policy/profiles/{profile_id}/activate",
    "/api/policy/activations",
    "/api/policy/activations/{activation_id}/withdraw",
    "/api/policy/profiles/{profile_id}/document.json",
    "/api/policy/profiles/{profile_id}/document.yaml",
    "/api/policy/profiles/upload",
    "/api/cases",
    "/api/cases/figures",
    "/api/cases/reclassify",
    "/api/cases/transfer",
    "/api/cases/close",
    "/api/cases/{case_id}",
    "/api/cases/{case_id}/reclassify",
    "/api/cases/{case_id}/transfer",
    "/api/cases/{case_id}/close",
    "/api/cases/{case_id}/contacts",
    "/api/contacts",
    "/api/contacts/status",
    "/api/contacts/{contact_id}",
    "/api/contacts/{contact_id}/status",
    "/api/contacts/{contact_id}/convert",
    "/api/people/{person_id}/code-status",
    "/api/people/{person_id}/code-override",
    "/api/appeals",
    "/api/appeals/{appeal_id}",
    "/api/appeals/{appeal_id}/decide",
    "/api/verify/{token}",
    "/api/finding-jobs",
    "/api/finding-jobs/{job_id}",
    "/api/finding-jobs/{job_id}/candidates",
    "/api/finding-jobs/{job_id}/confirm",
    "/api/finding-jobs/{job_id}/dismiss",
    "/api/finding-jobs/{job_id}/refer",
    "/api/contact-requests",
    "/api/contact-requests/sent",
    "/api/contact-requests/{request_id}",
    "/api/contact-requests/{request_id}/confirm",
    "/api/contact-requests/{request_id}/reject",
    "/api/chains",
    "/api/chains/{case_id}",
    "/api/checkins/import",
    "/api/venues/{code}/checkins",
    "/api/results/import",
    "/api/fhir/Bundle",
    "/api/labs",
    "/api/labs/{lab_id}",
    "/api/labs/{lab_id}/status",
    "/api/labs/{lab_id}/staff",
    "/api/care/facilities",
    "/api/care/facilities/{facility_id}",
    "/api/care/facilities/{facility_id}/status",
    "/api/care/facilities/{facility_id}/staff",
    "/api/care/routing",
    "/api/care/requests",
    "/api/care/requests/route",
    "/api/care/requests/{care_request_id}",
    "/api/care/requests/{care_request_id}/status",
    "/api/rounds",
    "/api/rounds/{round_id}",
    "/api/rounds/{round_id}/close",
    "/api/rounds/{round_id}/coverage",
    "/api/rounds/{round_id}/missing",
    "/api/sites",
    "/api/tubes",
    "/api/tubes/{barcode}",
    "/api/tubes/{barcode}/members",
    "/api/tubes/{barcode}/seal",
    "/api/tubes/{barcode}/reopen",
    "/api/tubes/send",
    "/api/tubes/receive",
    "/api/retests",
    "/api/quarantine/sites",
    "/api/quarantine/sites/figures",
    "/api/quarantine/sites/{site_id}",
    "/api/quarantine/sites/{site_id}/staff",
    "/api/quarantine/sites/{site_id}/in-use",
    "/api/quarantine/sites/{site_id}/rooms",
    "/api/quarantine/sites/{site_id}/stays",
    "/api/quarantine/sites/{site_id}/stays/check-in",
    "/api/quarantine/sites/{site_id}/stays/check-out",
    "/api/quarantine/rooms/{room_id}/status",
    "/api/quarantine/stays/{stay_id}/check-in",
    "/api/quarantine/stays/{stay_id}/move",
    "/api/quarantine/allocations",
    "/api/quarantine/allocations/{batch_id}",
    "/api/quarantine/allocations/{batch_id}/remove",
    "/api/quarantine/allocations/{batch_id}/confirm",
    "/api/quarantine/allocations/{batch_id}/cancel",
    "/api/quarantine/measures",
    "/api/quarantine/measures/end",
    "/api/quarantine/measures/{measure_id}",
    "/api/quarantine/measures/{measure_id}/close",
    "/api/quarantine/measures/{measure_id}/checkins",
    "/api/quarantine/measures/{measure_id}/release",
    "/api/quarantine/measures/{measure_id}/site-release",
    "/api/quarantine/measures/{measure_id}/certificate.pdf",
    "/api/quarantine/tests",
    "/api/quarantine/tests/{test_id}/sampled",
    "/api/quarantine/checks/floor",
    "/api/quarantine/alerts",
    "/api/quarantine/alerts/{alert_id}/handle",
    "/api/quarantine/transfers",
    "/api/quarantine/transfers/{transfer_id}/depart",
    "/api/quarantine/transfers/{transfer_id}/hand-over",
    "/api/quarantine/transfers/{transfer_id}/cancel",
    "/api/command/situation",
    "/api/command/report",
    "/api/command/report/issues",
    "/api/command/report/issues/{issue_id}",
    "/api/situation/preview",
    "/api/situation/import",
    "/api/zones",
    "/api/zones/{zone_id}",
    "/api/zones/{zone_id}/extend",
    "/api/zones/{zone_id}/level",
    "/api/zones/{zone_id}/activate",
    "/api/zones/{zone_id}/withdraw",
    "/api/zones/{zone_id}/rounds",
    "/api/zones/{zone_id}/evaluations",
    "/api/zone-evaluations",
    "/api/zone-evaluations/{evaluation_id}/approve",
    "/api/zone-evaluations/{evaluation_id}/reject",
    "/api/zone-figures",
    "/api/public/risk-zones",
    "/api/trips",
    "/api/trips/{trip_id}",
    "/api/trips/{trip_id}/arrival",
    "/api/handovers",
    "/api/handovers/{handover_id}/acknowledge",
    "/api/handovers/not-complied",
    "/api/risk-posts",
    "/api/risk-posts/{worker_id}/leave",
    "/api/risk-posts/overdue",
    "/api/risk-posts/overdue/by-employer",
    "/api/risk-posts/overdue/by-community",
    "/api/enterprises",
    "/api/enterprises/{enterprise_id}",
    "/api/enterprises/{enterprise_id}/whitelist",
    "/api/enterprises/{enterprise_id}/staff",
    "/api/enterprises/{enterprise_id}/vehicles",
    "/api/enterprises/{enterprise_id}/couriers",
    "/api/couriers/{courier_id}",
    "/api/couriers/{courier_id}/whitelist",
    "/api/couriers/{courier_id}/passes",
    "/api/vehicles/{vehicle_id}",
    "/api/vehicles/{vehicle_id}/whitelist",
    "/api/vehicles/{vehicle_id}/passes",
    "/api/passes",
    "/api/passes/{pass_id}/revoke",
    "/api/pass-keys",
    "/api/pass-check",
    "/api/care/board",
    "/api/care/dispatch",
    "/api/care/dispatch/transfers-110",
    "/api/care/dispatch/{care_request_id}",
    "/api/care/dispatch/{care_request_id}/step",
    "/api/care/incidents",
    "/api/care/incidents/{incident_id}",
    "/api/care/incidents/{incident_id}/resolve",
    "/api/care/lines",
    "/api/care/lines/{direct_line_id}",
    "/api/care/medicine/batches",
    "/api/care/medicine/courses",
    "/api/care/medicine/orders",
    "/api/care/medicine/orders/{medicine_order_id}",
    "/api/care/medicine/orders/{medicine_order_id}/step",
    "/api/care/medicine/running-out",
    "/api/care/my/medicine-orders",
    "/api/care/my/medicine-orders/{medicine_order_id}/answer",
    "/api/care/plans",
    "/api/care/plans/due",
    "/api/care/plans/needs/{standing_need_id}",
    "/api/care/plans/{health_plan_id}",
    "/api/care/plans/{health_plan_id}/needs",
    "/api/care/requests/{care_request_id}/admission",
    "/api/care/vehicles",
    "/api/assistance/applications",
    "/api/assistance/applications/{application_id}",
    "/api/assistance/applications/{application_id}/documents",
    "/api/assistance/applications/{application_id}/review",
    "/api/assistance/applications/{application_id}/decision",
    "/api/assistance/applications/{application_id}/withdraw",
    "/api/assistance/applications/{application_id}/payments",
    "/api/assistance/overdue",
    "/api/my-assistance",
    "/api/my-assistance/identify",
    "/api/my-assistance/{application_id}/documents",
    "/api/necessities",
    "/api/order-batches",
    "/api/order-batches/run",
    "/api/order-batches/{order_batch_id}",
    "/api/order-batches/{order_batch_id}/status",
    "/api/price-alerts",
    "/api/price-alerts/{price_alert_id}/status",
    "/api/price-lights",
    "/api/price-reports",
    "/api/price-reports/import",
    "/api/price-stores",
    "/api/receiving-points",
    "/api/receiving-points/{receiving_point_id}",
    "/api/supply-orders",
    "/api/supply-orders/totals",
    "/api/supply-orders/{supply_order_id}",
    "/api/supply-orders/{supply_order_id}/cancel",
    "/api/supply-orders/{supply_order_id}/deliver",
    "/api/supply-orders/{supply_order_id}/deliver-photo",
    "/api/supply-orders/{supply_order_id}/photo",
    "/api/supply-orders/{supply_order_id}/problems",
    "/api/supply-products",
    "/api/supply-products/{supply_product_id}",
}
# Citizen requests (hotline/, issue 18).
PATHS |= {
    "/api/hotline/callers",
    "/api/hotline/classify",
    "/api/hotline/departments",
    "/api/hotline/requests",
    "/api/hotline/requests/{hotline_request_id}",
    "/api/hotline/requests/{hotline_request_id}/accept",
    "/api/hotline/requests/{hotline_request_id}/callback",
    "/api/hotline/requests/{hotline_request_id}/cancel",
    "/api/hotline/requests/{hotline_request_id}/category",
    "/api/hotline/requests/{hotline_request_id}/complete",
    "/api/hotline/requests/{hotline_request_id}/dispatch",
    "/api/hotline/requests/{hotline_request_id}/duplicates",
    "/api/hotline/requests/{hotline_request_id}/merge",
    "/api/hotline/requests/{hotline_request_id}/notes",
    "/api/hotline/wechat",
}


@pytest.mark.django_db
def test_openapi_document_lists_every_path_with_schemas():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == PATHS
    schemes = doc["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    post = doc["paths"]["/api/residents"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ResidentIn"
    )
    assert set(post["responses"]) >= {"201", "401", "403", "422"}
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', response.content.decode()))
    assert refs <= set(doc["components"]["schemas"])
    operation_ids = [op["operationId"] for p in doc["paths"].values() for op in p.values()]
    assert len(operation_ids) == len(set(operation_ids))


@pytest.mark.django_db
def test_docs_page_loads_only_local_assets():
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert all(a.startswith("/static/") for a in assets), assets
    assert "//" not in "".join(a.removeprefix("/static/") for a in assets)
    assert "cdn" not in html.lower()
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_me_describes_role_and_capabilities(as_):
    body = as_("hotline").get("/api/me").json()
    assert body["role"] == "hotline"
    assert body["capabilities"] == sorted(
        [
            "places.view",
            "residents.view",
            "policy.view",
            "code_status.view",
            "care.view",
            "care.request",
            "orders.view",
            "orders.place",
            "hotline.view",
            "hotline.intake",
            "hotline.manage",
        ]
    )


def test_active_policy_is_readable(as_):
    profiles_install_shipped()
    body = as_("lab").get("/api/policy/active").json()
    assert body["code"] == "20-measures"
    assert "close_contact" in str(body["rules"])
    assert as_("supply").get("/api/policy/active").status_code == 403


def test_the_document_is_built_once_per_language_and_copied_to_each_caller(db):
    from fangkong.api import api

    first = api.get_openapi_schema(path_prefix="/api/")
    first["paths"].clear()  # a caller's changes stay its own
    second = api.get_openapi_schema(path_prefix="/api/")
    assert second["paths"] and second == api.get_openapi_schema(path_prefix="/api/")


def _named_types(annotation: object, found: dict[str, set[type]]) -> None:
    """Every schema and enum class an annotation reaches, by the name the document gives it."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        found.setdefault(annotation.__name__, set()).add(annotation)
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.__module__ != "abc":  # ninja's own wrappers are never components
            names = found.setdefault(annotation.__name__, set())
            if annotation in names:
                return
            names.add(annotation)
        for field in annotation.model_fields.values():
            _named_types(field.annotation, found)
        return
    for arg in typing.get_args(annotation):
        _named_types(arg, found)


def test_no_two_schemas_or_enums_share_a_component_name():
    """The document names a component by its class name alone: two classes with one name (two
    apps' `OrderStatus`) become one component, and one app's answers break its documented
    schema. Every class an operation reaches has a name of its own."""
    from django.urls import get_resolver

    from fangkong.api import api

    get_resolver().url_patterns  # noqa: B018 (imports every app's routers)
    found: dict[str, set[type]] = {}
    for _prefix, router in api._routers:
        for path_operation in router.path_operations.values():
            for operation in path_operation.operations:
                for model in [*operation.signature.models, *operation.response_models.values()]:
                    _named_types(model, found)
    assert len(found) > 100  # the walk reaches the app's schemas
    shared = {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
        for name, classes in found.items()
        if len(classes) > 1
    }
    assert not shared, f"component names used by more than one class: {shared}"


@pytest.mark.django_db
def test_every_documented_422_admits_the_validation_errors_shape():
    """Any operation can be sent a body it cannot read, and answers 422 with the validation
    errors' shape: an operation whose own 422 says otherwise (an import's row report) names
    both, or a client reading the document rejects the answer."""
    document = Client().get("/api/openapi.json").json()
    wrong = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answer = operation.get("responses", {}).get("422")
            if answer is None:
                continue
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            refs = {s.get("$ref", "") for s in schema.get("anyOf", [schema])}
            if "#/components/schemas/ValidationErrorOut" not in refs:
                wrong.append(f"{method.upper()} {path}: {sorted(refs)}")
    assert not wrong, wrong
