"""The programmes' rules, pure: 整户保 and 单人保 for 低保, 特困, and the one-off temporary
assistance of seed 004; documents and deadlines by the procedure the profile switches on."""

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from fangkong.assistance import rules
from fangkong.policy.schema import Assistance

STANDARD = Assistance()
EMERGENCY = Assistance(emergency_procedure=True)


def claim(**kw):
    fields = {
        "programme": "dibao",
        "members": 3,
        "monthly_income": Decimal("900"),
        "assets": Decimal("10000"),
        "residency": "registered",
    }
    return rules.Claim(**(fields | kw))


def test_a_household_within_the_line_is_covered_whole_at_the_gap():
    judged = rules.assess(claim(), STANDARD)
    assert judged.eligible and judged.coverage == "household" and judged.covered == 3
    assert judged.income_per_person == Decimal("300.00")
    assert judged.monthly_amount == Decimal("1050.00")  # (650 − 300) × 3
    assert judged.findings == (rules.HOUSEHOLD_WITHIN_LINE,)


def test_a_seriously_ill_member_of_a_low_income_household_is_covered_alone():
    ill = claim(monthly_income=Decimal("2700"), seriously_ill_or_disabled=True)  # 900 a head
    judged = rules.assess(ill, STANDARD)
    assert judged.eligible and judged.coverage == "single" and judged.covered == 1
    assert judged.monthly_amount == Decimal("650.00")
    assert "medical_record" in judged.documents


def test_above_the_low_income_line_nobody_is_covered():
    judged = rules.assess(
        claim(monthly_income=Decimal("3000"), seriously_ill_or_disabled=True), STANDARD
    )
    assert not judged.eligible and judged.findings == (rules.INCOME_ABOVE_LINE,)
    assert judged.monthly_amount == 0


def test_assets_above_the_limit_refuse_even_without_income():
    judged = rules.assess(claim(monthly_income=Decimal("0"), assets=Decimal("90000")), STANDARD)
    assert not judged.eligible and judged.findings == (rules.ASSETS_ABOVE_LIMIT,)


def test_tekun_pays_the_fixed_amount_to_the_applicant():
    judged = rules.assess(claim(programme="tekun", members=1, monthly_income=0), STANDARD)
    assert judged.eligible and judged.covered == 1 and judged.monthly_amount == Decimal("845.00")


def test_a_worker_without_income_three_months_and_uninsured_gets_the_one_off_payment():
    worker = claim(programme="temporary", members=1, monthly_income=0, months_without_income=3)
    judged = rules.assess(worker, STANDARD)
    assert judged.eligible and judged.one_off_amount == Decimal("1000.00")
    assert judged.monthly_amount == 0
    short = rules.assess(claim(programme="temporary", months_without_income=2), STANDARD)
    assert not short.eligible and rules.NO_INCOME_TOO_SHORT in short.findings
    insured = rules.assess(
        claim(programme="temporary", months_without_income=4, unemployment_insurance=True),
        STANDARD,
    )
    assert not insured.eligible and insured.findings == (rules.UNEMPLOYMENT_INSURED,)
    assert insured.one_off_amount == 0


def test_the_emergency_procedure_asks_fewer_documents_and_decides_sooner():
    worker = claim(programme="temporary", members=1, monthly_income=0, months_without_income=3)
    standard, emergency = rules.assess(worker, STANDARD), rules.assess(worker, EMERGENCY)
    assert standard.documents == ("authorisation", "no_income_statement", "work_record")
    assert emergency.documents == ("no_income_statement",)
    assert (standard.decide_within_days, emergency.decide_within_days) == (15, 0)
    assert emergency.emergency and not standard.emergency


def test_a_floating_resident_applies_with_a_residence_permit_a_visitor_does_not_qualify():
    floating = rules.assess(claim(residency="floating"), STANDARD)
    assert floating.eligible and "residence_permit" in floating.documents
    closed = rules.assess(claim(residency="floating"), Assistance(residence_permit_may_apply=False))
    assert not closed.eligible and rules.PERMIT_NOT_ACCEPTED in closed.findings
    visitor = rules.assess(claim(residency="visitor"), STANDARD)
    assert not visitor.eligible and rules.NOT_RESIDENT in visitor.findings


def test_the_deadline_is_the_end_of_the_local_day():
    tz = dt.timezone(dt.timedelta(hours=8))
    applied = dt.datetime(2022, 5, 7, 23, 30, tzinfo=dt.UTC)  # 8 May, 07:30 in 许昌
    assert rules.decide_by(applied, 0, tz) == dt.datetime(2022, 5, 8, 23, 59, 59, 999999, tzinfo=tz)
    assert rules.decide_by(applied, 10, tz).date() == dt.date(2022, 5, 18)


def test_a_profile_asking_more_documents_in_an_emergency_is_refused():
    with pytest.raises(ValidationError, match="emergency_documents"):
        Assistance.model_validate(
            {
                "dibao": {
                    "decide_within_days": 30,
                    "emergency_decide_within_days": 10,
                    "documents": ["authorisation"],
                    "emergency_documents": ["income_proof"],
                }
            }
        )
