"""Departments of 许昌 for citizen requests: one of each kind in 魏都区's street, a community
office in 建安区; their staff."""

import pytest
from django.utils import translation

from fangkong.core.roles import Role
from fangkong.hotline.dispatch import services as dispatch_services
from fangkong.hotline.models import DepartmentKind
from fangkong.places.models import Level
from tests import factories as f


@pytest.fixture
def departments(personas, city):
    street = city.w[Level.STREET]
    staff = f.user("d_street", Role.STREET, city.weidu)
    out = {}
    for kind in DepartmentKind.values:
        out[kind] = dispatch_services.department_register(
            actor=personas["command"],
            code=f"W-{kind}".upper().replace("_", "-"),
            name=f"魏都 {kind}",
            kind=kind,
            division=street,
            phone="0374-2345000",
            staff=[staff],
        )
    out["jianan"] = dispatch_services.department_register(
        actor=personas["command"],
        code="J-COMMUNITY",
        name="建安 新元社区",
        kind=DepartmentKind.COMMUNITY,
        division=city.j[Level.COMMUNITY],
        staff=[personas["outsider"]],
    )
    out["staff"] = staff
    return out


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
