"""Routing by rule: every request type × control state under each shipped profile goes where
许昌's table (seed 004) says; the gap refusal names the gap; the engine picks the nearest
facility in service, or the one a rule names."""

import json
from pathlib import Path

import pytest

from fangkong.care.models import ControlState, RequestType
from fangkong.care.routing.engine import NAMED, NO_FACILITY, Site, route_all, shared_level
from fangkong.policy.models import PolicyProfile
from fangkong.policy.schema import CONTROL_STATES, REQUEST_TYPES, CareRouting, Rules
from fangkong.policy.validation import rules_problems
from tests.api.conftest import bearer_client

PROFILES = Path(__file__).resolve().parents[2] / "src" / "fangkong" / "policy" / "profiles"
SHIPPED = sorted(PROFILES.glob("*.json"))
UNDER_CONTROL = [s for s in CONTROL_STATES if s != "none"]


def seed_004(request_type: str, state: str) -> tuple[str, bool, bool]:
    """Where 许昌 sends a request (destination, by 120, closed-loop vehicle), said again here
    from the seed, independently of the table's code."""
    controlled = state != "none"
    if request_type == "medicine":
        return "pharmacy", False, False
    if request_type in ("mental_health", "other"):
        return "internet", False, False
    if request_type == "dialysis":
        return "dialysis", False, controlled
    if controlled:
        return "designated", True, True
    return {
        "emergency": ("general", True, False),
        "fever": ("fever_clinic", False, False),
        "delivery": ("maternity", False, False),
        "chemo": ("general", False, False),
    }[request_type]


def rules_of(path: Path) -> Rules:
    document = json.loads(path.read_text("utf-8"))
    rules, problems = rules_problems(document.get("rules", document))
    assert rules is not None, problems
    return rules


def test_the_enumerations_agree_with_the_models():
    assert list(REQUEST_TYPES) == RequestType.values
    assert list(CONTROL_STATES) == ControlState.values


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_type_and_state_is_routed_as_seed_004_says_under_each_shipped_profile(path):
    table = rules_of(path).care
    sites = [
        Site(id=i, code=k.upper(), kind=k, key="4110020010")
        for i, k in enumerate(
            [
                "designated",
                "general",
                "fever_clinic",
                "dialysis",
                "maternity",
                "pharmacy",
                "internet",
            ],
            start=1,
        )
    ]
    pairs = [(t, s) for t in REQUEST_TYPES for s in CONTROL_STATES]
    routed = route_all(
        table, [t for t, _ in pairs], [s for _, s in pairs], ["411002001001"] * len(pairs), sites
    )
    for (request_type, state), decision in zip(pairs, routed, strict=True):
        expected = seed_004(request_type, state)
        got = (decision.destination, decision.via_120, decision.closed_loop)
        assert got == expected, (path.stem, request_type, state)
        kind = {s.id: s.kind for s in sites}[decision.facility_id]
        assert kind == decision.destination
        assert decision.sla_minutes >= 1 and decision.rule_number >= 1


def test_a_table_with_a_gap_is_refused_naming_the_gap(english):
    document = json.loads((PROFILES / "xuchang-2022-05.json").read_text("utf-8"))
    rules = document.get("rules", document)
    table = Rules.model_validate(rules).care.model_dump(mode="json")
    # Drop the rule for medicine: every state's medicine refill is a gap.
    table["routes"] = [r for r in table["routes"] if r["request_types"] != ["medicine"]]
    routes = [r for r in table["routes"] if r["request_types"] != ["emergency"]]
    _rules, problems = rules_problems({**rules, "care": {"routes": routes}})
    assert [p.path for p in problems] == ["care.routes"]
    message = problems[0].message
    assert "Medicine refill × Not under control" in message
    assert "Emergency × Not under control" in message
    assert "Emergency × In a sealed zone" not in message  # rule 1 still covers it
    _rules, problems = rules_problems({**rules, "care": table})
    assert "Medicine refill × In a sealed zone" in problems[0].message
    assert "Emergency" not in problems[0].message


def test_the_first_matching_rule_routes():
    table = CareRouting.model_validate(
        {
            "routes": [
                {
                    "request_types": ["emergency"],
                    "control_states": ["red_code"],
                    "destination": "dispatch_120",
                    "via_120": True,
                    "sla_minutes": 5,
                },
                {
                    "request_types": list(REQUEST_TYPES),
                    "control_states": list(CONTROL_STATES),
                    "destination": "general",
                    "sla_minutes": 60,
                },
            ]
        }
    )
    assert table.route_for("emergency", "red_code")[0] == 0
    assert table.route_for("emergency", "yellow_code")[0] == 1


def test_the_nearest_facility_in_service_is_the_one_sharing_the_deepest_node():
    table = CareRouting.model_validate(
        {
            "routes": [
                {
                    "request_types": list(REQUEST_TYPES),
                    "control_states": list(CONTROL_STATES),
                    "destination": "general",
                    "sla_minutes": 60,
                }
            ]
        }
    )
    far = Site(1, "A-FAR", "general", "411003001")  # another district
    street = Site(2, "B-STREET", "general", "411002001")
    community = Site(3, "C-COMM", "general", "411002001001")
    other_kind = Site(4, "D-PHARM", "pharmacy", "411002001001001")
    home = "411002001001010101001"
    [decision] = route_all(table, ["fever"], ["none"], [home], [far, street, community, other_kind])
    assert (decision.facility_id, decision.match) == (3, "community")
    [decision] = route_all(table, ["fever"], ["none"], [home], [far, street])
    assert (decision.facility_id, decision.match) == (2, "street")
    [decision] = route_all(table, ["fever"], ["none"], [home], [far])
    assert (decision.facility_id, decision.match) == (1, "city")
    [decision] = route_all(table, ["fever"], ["none"], [home], [other_kind])
    assert (decision.facility_id, decision.match) == (None, NO_FACILITY)
    assert shared_level("411002001", home) == "street"


def test_a_rule_naming_a_facility_sends_there_while_it_is_in_service():
    table = CareRouting.model_validate(
        {
            "routes": [
                {
                    "request_types": list(REQUEST_TYPES),
                    "control_states": list(CONTROL_STATES),
                    "destination": "designated",
                    "facility": "XC-CAMPUS",
                    "sla_minutes": 30,
                }
            ]
        }
    )
    named = Site(1, "XC-CAMPUS", "designated", "411003")
    near = Site(2, "NEAR", "designated", "411002001001")
    [decision] = route_all(table, ["fever"], ["none"], ["411002001001010"], [named, near])
    assert (decision.facility_id, decision.match) == (1, NAMED)
    # Suspended (not among the sites in service): the nearest of the kind.
    [decision] = route_all(table, ["fever"], ["none"], ["411002001001010"], [near])
    assert (decision.facility_id, decision.match) == (2, "community")


def test_a_draft_with_a_gap_is_refused_by_the_policy_api_naming_it(personas, english):
    chief = bearer_client(personas["command"])
    profile = PolicyProfile.objects.get(code="20-measures")
    draft = chief.post(f"/api/policy/profiles/{profile.pk}/copy", content_type="application/json")
    rules = draft.json()["rules"]
    # A stored profile without the section reads 许昌's table (the section's default).
    rules["care"] = Rules.model_validate(rules).care.model_dump(mode="json")
    assert len(rules["care"]["routes"]) == 9
    rules["care"]["routes"] = [r for r in rules["care"]["routes"] if r["destination"] != "pharmacy"]
    url = f"/api/policy/profiles/{draft.json()['id']}"
    refused = chief.put(url, json.dumps({"rules": rules}), content_type="application/json")
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "rules", "care", "routes"]
    assert "Medicine refill × Yellow health code" in error["msg"]
    # A specific facility and other minutes: saved, and the draft reads them back.
    rules["care"]["routes"].append(
        {
            "request_types": ["medicine"],
            "control_states": list(CONTROL_STATES),
            "destination": "pharmacy",
            "facility": "XC-PHARMACY",
            "sla_minutes": 720,
        }
    )
    saved = chief.put(url, json.dumps({"rules": rules}), content_type="application/json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["rules"]["care"]["routes"][-1]["facility"] == "XC-PHARMACY"
