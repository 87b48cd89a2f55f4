"""Reads of departments: the registry (scoped), those in service for dispatch, and whether a
user staffs one."""

from typing import Any

from django.db.models import QuerySet

from fangkong.care.routing.engine import Site
from fangkong.core.access import Cap, require, scoped
from fangkong.hotline.models import Department


def departments_for_user(user: Any) -> QuerySet[Department]:
    require(user, Cap.HOTLINE_VIEW)
    return scoped(Department.objects.all(), user)


def departments_in_service() -> list[Site]:
    return [
        Site(id=pk, code=code, kind=kind, key=key)
        for pk, code, kind, key in Department.objects.filter(active=True).values_list(
            "pk", "code", "kind", "division_key"
        )
    ]


def staffs_department(user: Any, department_id: int | None) -> bool:
    if department_id is None or not getattr(user, "is_authenticated", False):
        return False
    return Department.objects.filter(pk=department_id, staff=user).exists()
