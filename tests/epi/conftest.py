"""Shared fixtures for epi tests: cases and contacts made directly (no services, no audit)."""

import datetime as dt
import itertools

import pytest
from django.utils import translation

from fangkong.epi.models import (
    Case,
    CaseKind,
    Contact,
    Degree,
    ExposureRelation,
    FoundBy,
    FoundWhere,
)
from fangkong.people.models import Resident

_case_seq = itertools.count(9000)

REPORTED = dt.date(2022, 1, 10)


def make_case(person: Resident, **kw) -> Case:
    """A case row for `person` (defaults: confirmed, community screening, sampled 2022-01-09)."""
    fields = {
        "number": f"T-{next(_case_seq):05d}",
        "kind": CaseKind.CONFIRMED,
        "found_by": FoundBy.COMMUNITY_SCREENING,
        "found_where": FoundWhere.COMMUNITY,
        "sampled_on": REPORTED - dt.timedelta(days=1),
        "onset_on": None,
        "reported_on": REPORTED,
        "division_key": person.division_key,
    }
    fields.update(kw)
    return Case.objects.create(person=person, **fields)


def make_contact(case: Case, person: Resident, **kw) -> Contact:
    """A close contact of `case` (household, last exposed on the report date) unless told."""
    fields = {
        "degree": Degree.CLOSE,
        "relation": ExposureRelation.HOUSEHOLD,
        "last_exposure_on": case.reported_on,
        "division_key": person.division_key,
    }
    fields.update(kw)
    return Contact.objects.create(case=case, person=person, **fields)


@pytest.fixture
def a_case(people) -> Case:
    """A confirmed case: 张伟 in 魏都区."""
    return make_case(people["zhang"])


@pytest.fixture
def a_contact(a_case, people) -> Contact:
    """李秀英, a household close contact of `a_case`."""
    return make_contact(a_case, people["li"])


@pytest.fixture(autouse=True, scope="module")
def _english_outside_requests():
    """Service messages and labels are matched in English here; pages still follow the
    request's language (zh-Hans by default)."""
    with translation.override("en"):
        yield
