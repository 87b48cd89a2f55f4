"""Shapes of the social assistance API."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from fangkong.assistance.models import (
    ApplicationChannel,
    ApplicationStatus,
    Coverage,
    DocumentKind,
    Procedure,
    Programme,
)
from fangkong.core.dates import Day, Happened

Money = Decimal


class AssistanceMemberOut(Schema):
    person_id: int
    name: str
    relation: str
    covered: bool


class AssistanceDocumentOut(Schema):
    id: int
    kind: DocumentKind
    kind_label: str
    content_type: str
    size: int
    uploaded_at: dt.datetime


class AssistancePaymentOut(Schema):
    id: int
    amount: Money
    paid_on: dt.date
    period: str
    reference: str
    recorded_at: dt.datetime


class AssistanceApplicationOut(Schema):
    id: int
    number: str
    programme: Programme
    coverage: Coverage
    procedure: Procedure
    channel: ApplicationChannel
    status: ApplicationStatus
    applicant_id: int
    members: list[AssistanceMemberOut] = Field(
        description="The household as the registry had it when filed"
    )
    monthly_income: Money
    assets: Money
    income_per_person: Money
    seriously_ill_or_disabled: bool
    months_without_income: int
    unemployment_insurance: bool
    eligible: bool = Field(description="Whether the rules in force when filed are met")
    findings: list[str] = Field(description="What the rules found, in the reader's language")
    monthly_amount: Money
    one_off_amount: Money
    documents_required: list[DocumentKind]
    documents_missing: list[DocumentKind]
    documents: list[AssistanceDocumentOut]
    due_at: dt.datetime = Field(description="Decide by (the deadline of the procedure)")
    overdue: bool = Field(description="Undecided past the deadline")
    profile_code: str
    profile_version: int
    review_note: str
    reviewed_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision_reason: str
    decision_basis: str
    applied_at: dt.datetime = Field(description="When the person applied")
    created_at: dt.datetime = Field(description="When it was recorded")


class AssistanceClaimIn(Schema):
    programme: Programme
    monthly_income: Money = Field(ge=0, lt=10**10, description="The household's, in yuan")
    assets: Money = Field(ge=0, lt=10**10, description="Savings and property, in yuan")
    seriously_ill_or_disabled: bool = False
    months_without_income: int = Field(0, ge=0, le=120)
    unemployment_insurance: bool = False
    circumstances: str = Field("", max_length=1000)
    contact_phone: str = Field("", max_length=20)


class AssistanceApplicationIn(AssistanceClaimIn):
    id_number: str = Field(
        max_length=18, description="The applicant's ID number (of your jurisdiction)"
    )
    applied_at: Happened | None = Field(None, description="When the person applied; empty: now")


class AssistanceReviewIn(Schema):
    note: str = Field(min_length=1, max_length=1000, description="What the review found")
    reviewed_at: Happened | None = None


class AssistanceDecisionIn(Schema):
    decision: Literal["approve", "refuse"]
    reason: str = Field(min_length=1, max_length=1000)
    basis: str = Field("", max_length=300)
    decided_at: Happened | None = None


class AssistancePaymentIn(Schema):
    amount: Money = Field(gt=0, lt=10**10)
    paid_on: Day
    period: str = Field("", max_length=7, description="The month paid for, YYYY-MM (低保, 特困)")
    reference: str = Field("", max_length=60)


class AssistanceWithdrawIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class AssistanceIdentifyIn(Schema):
    id_number: str = Field(max_length=18)
    phone: str = Field(max_length=20)


class AssistanceOverdueOut(Schema):
    overdue: int
