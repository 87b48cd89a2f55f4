"""Passes: issued only while the active profile's conditions hold; revoked at once when they
fail (a positive result, a new quarantine measure, a code turning yellow or red, the whitelist
suspended); keys rotate and old passes fail after the grace."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.healthcode.appeals import code_override_create
from fangkong.lab.results.ingest import results_import
from fangkong.policy.models import PolicyProfile
from fangkong.quarantine.measures.services import measure_start
from fangkong.supplies.enterprises import services as whitelist
from fangkong.supplies.models import PassStatus, SigningKey, SupplyPass, Vehicle
from fangkong.supplies.passes import hcert, services, verifier
from fangkong.supplies.passes.hcert import Reason
from tests.lab.conftest import make_tube

pytestmark = pytest.mark.usefixtures("english")


def refusal(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {field: " ".join(msgs) for field, msgs in exc.value.message_dict.items()}


def rules():
    profile = PolicyProfile.objects.get(is_active=True)
    return profile.rules["supplies"]["passes"]


def issue(personas, holder):
    return services.pass_issue(actor=personas["task_force"], holder=holder)


# Issuing ----------------------------------------------------------------------------------


def test_a_courier_with_a_recent_negative_test_gets_a_signed_pass(personas, courier, negative):
    tube = negative(courier.person, hours_ago=3)
    p = issue(personas, courier)
    assert (
        p.status == PassStatus.VALID and p.courier == courier and p.enterprise == courier.enterprise
    )
    hours = rules()["negative_test_within_hours"]
    sampled = tube.members.get().sampled_at
    assert p.expires_at == min(
        p.issued_at + dt.timedelta(hours=rules()["validity_hours"]),
        sampled + dt.timedelta(hours=hours),
    )
    checked = verifier.check(p.code)
    assert checked.reason == Reason.VALID
    claims = checked.verdict.claims
    assert (claims["sn"], claims["nm"], claims["ent"], claims["k"]) == (
        p.serial,
        "王*",
        "许昌惠民超市",
        "courier",
    )
    assert courier.person.id_number not in p.code  # only masked hints travel
    assert claims["id"].endswith(courier.person.id_number[-4:]) and "*" in claims["id"]
    event = Event.objects.get(action="pass.issued")
    assert event.person_id == courier.person_id and event.data["kid"] == p.key.kid


def test_a_key_is_made_on_first_issue(personas, vehicle):
    assert not SigningKey.objects.exists()
    p = issue(personas, vehicle)
    key = SigningKey.objects.get()
    assert p.key == key and key.kid == hcert.kid_text(hcert.kid_of(bytes(key.public_der)))
    assert verifier.check(p.code).verdict.claims["pl"] == "豫K12345"


def test_no_negative_test_no_pass(personas, courier, negative):
    with pytest.raises(ValidationError) as exc:
        issue(personas, courier)
    assert "No negative test sampled in the last 48 hours" in refusal(exc)["courier"]
    negative(courier.person, hours_ago=49)
    with pytest.raises(ValidationError):
        issue(personas, courier)
    assert not SupplyPass.objects.exists()


def test_a_positive_last_test_refuses(personas, courier, negative):
    negative(courier.person, hours_ago=10)
    negative(courier.person, hours_ago=2, outcome="positive")
    with pytest.raises(ValidationError) as exc:
        issue(personas, courier)
    assert "Tested positive" in refusal(exc)["courier"]


def test_a_measure_or_a_yellow_code_refuses(personas, courier, negative):
    negative(courier.person)
    code_override_create(
        actor=personas["command"],
        person=courier.person,
        colour="yellow",
        reason="时空伴随",
        basis="第 9 版",
    )
    with pytest.raises(ValidationError) as exc:
        issue(personas, courier)
    assert "Health code is Yellow" in refusal(exc)["courier"]


def test_not_granted_refuses(personas, courier, vehicle, negative):
    negative(courier.person)
    vehicle.status = "suspended"
    vehicle.save()
    with pytest.raises(ValidationError) as exc:
        issue(personas, vehicle)
    assert "Not granted on the whitelist (Suspended)" in refusal(exc)["vehicle"]
    firm = courier.enterprise
    firm.status = "pending"
    firm.save()
    with pytest.raises(ValidationError) as exc:
        issue(personas, courier)
    assert "The enterprise is not granted" in refusal(exc)["courier"]


def test_a_profile_without_the_section_issues_no_pass(personas, vehicle):
    profile = PolicyProfile.objects.get(is_active=True)
    profile.rules.pop("supplies")
    PolicyProfile.objects.filter(pk=profile.pk).update(rules=profile.rules)
    with pytest.raises(ValidationError) as exc:
        issue(personas, vehicle)
    assert "issues no supply passes" in refusal(exc)["vehicle"]


def test_an_enterprise_issues_for_its_own_not_for_others(personas, vehicle, other_firm, city):
    p = services.pass_issue(actor=personas["supply"], holder=vehicle)
    assert p.issued_by == personas["supply"]
    theirs = Vehicle.objects.create(
        enterprise=other_firm,
        plate="豫K77777",
        area=city.jianan,
        area_key=city.jianan.key,
        division_key=other_firm.division_key,
        status="granted",
    )
    with pytest.raises(ValidationError) as exc:
        services.pass_issue(actor=personas["supply"], holder=theirs)
    assert "outside your jurisdiction" in refusal(exc)["vehicle"]


# Revocation at once -----------------------------------------------------------------------


def _revoked(p) -> SupplyPass:
    p.refresh_from_db()
    return p


def test_a_positive_result_upload_revokes_the_pass(personas, courier, negative, a_lab, tmp_path):
    negative(courier.person, hours_ago=5)
    p = issue(personas, courier)
    when = timezone.localtime(timezone.now() - dt.timedelta(minutes=30))
    make_tube("POS-001", [courier.person], collected_at=when - dt.timedelta(hours=1))
    path = tmp_path / "r.csv"
    path.write_text(f"试管编码,检测结果,Ct值,检测时间\nPOS-001,阳性,25,{when:%Y-%m-%d %H:%M}\n")
    a_lab.staff.add(personas["lab"])
    result = results_import(actor=personas["lab"], lab=a_lab, path=path, filename="r.csv")
    assert result.ok, result.errors
    p = _revoked(p)
    assert p.status == PassStatus.REVOKED and "Tested positive" in p.revoked_reason
    event = Event.objects.get(action="pass.revoked")
    assert (event.actor_name, event.from_value, event.to_value) == ("system", "valid", "revoked")
    assert event.person_id == courier.person_id and "positive_result" in event.data["cause"]
    assert verifier.check(p.code).reason == Reason.REVOKED


def test_a_new_quarantine_measure_revokes_the_pass(personas, courier, negative):
    negative(courier.person)
    p = issue(personas, courier)
    measure_start(
        actor=personas["command"],
        person=courier.person,
        category="close_contact",
        anchor_on=timezone.localdate() - dt.timedelta(days=1),
    )
    p = _revoked(p)
    assert p.status == PassStatus.REVOKED
    assert "Under a quarantine or monitoring measure" in p.revoked_reason


def test_a_code_turning_red_revokes_the_pass(personas, courier, negative):
    negative(courier.person)
    p = issue(personas, courier)
    code_override_create(
        actor=personas["command"], person=courier.person, colour="red", reason="密接", basis="x"
    )
    assert "Health code is Red" in _revoked(p).revoked_reason


def test_whitelist_suspension_revokes_the_holders_passes(personas, courier, vehicle, negative):
    negative(courier.person)
    mine, truck = issue(personas, courier), issue(personas, vehicle)
    whitelist.whitelist_set(
        actor=personas["task_force"],
        obj=courier.enterprise,
        status="suspended",
        reason="员工核酸阳性",
        basis="第 7 号通告",
    )
    for p in (mine, truck):
        p = _revoked(p)
        assert p.status == PassStatus.REVOKED
        assert p.revoked_reason == "Whitelist withdrawn: 员工核酸阳性"
    assert Event.objects.filter(action="pass.revoked").count() == 2


def test_an_unrelated_change_revokes_nothing(personas, courier, negative, people):
    negative(courier.person)
    p = issue(personas, courier)
    code_override_create(
        actor=personas["command"], person=people["zhang"], colour="red", reason="密接", basis="x"
    )
    assert _revoked(p).status == PassStatus.VALID


def test_a_hand_revocation_needs_a_reason(personas, vehicle):
    p = issue(personas, vehicle)
    with pytest.raises(ValidationError) as exc:
        services.pass_revoke(actor=personas["supply"], supply_pass=p, reason=" ")
    assert "reason" in refusal(exc)
    services.pass_revoke(actor=personas["supply"], supply_pass=p, reason="车辆报修")
    assert _revoked(p).revoked_reason == "车辆报修"


# Keys -------------------------------------------------------------------------------------


def test_rotation_keeps_old_passes_through_the_grace_then_fails_them(personas, vehicle):
    old = issue(personas, vehicle)
    services.key_rotate(actor=personas["task_force"])
    verifier.forget()
    new = issue(personas, vehicle)
    rotated = Event.objects.filter(action="signing_key.rotated").order_by("id")
    assert [(e.from_value, e.to_value) for e in rotated] == [
        ("", old.key.kid),  # the first key, made when the first pass was issued
        (old.key.kid, new.key.kid),
    ]
    assert verifier.check(old.code).reason == Reason.VALID  # within the grace
    grace = dt.timedelta(hours=rules()["key_grace_hours"])
    SigningKey.objects.filter(pk=old.key_id).update(
        retired_at=timezone.now() - grace - dt.timedelta(minutes=1)
    )
    verifier.forget()
    assert verifier.check(old.code).reason == Reason.UNKNOWN_KEY  # no longer published
    assert verifier.check(new.code).reason == Reason.VALID


def test_the_private_key_is_stored_encrypted(personas, vehicle):
    issue(personas, vehicle)
    pem = bytes(SigningKey.objects.get().private_pem)
    assert b"ENCRYPTED PRIVATE KEY" in pem


def test_the_rotate_command_makes_a_new_key_and_lists_them(personas, vehicle):
    out = io.StringIO()
    call_command("supply_keys", "rotate", stdout=out)
    first = SigningKey.objects.get()
    assert f"new signing key {first.kid}" in out.getvalue()
    call_command("supply_keys", "rotate", stdout=out)
    listing = io.StringIO()
    call_command("supply_keys", "list", stdout=listing)
    lines = listing.getvalue().splitlines()
    assert len(lines) == 2 and "signing" in lines[0] and "grace" in lines[1]
    assert Event.objects.filter(action="signing_key.rotated", actor_name="system").count() == 2
