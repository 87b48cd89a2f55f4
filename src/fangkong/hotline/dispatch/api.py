"""REST endpoints of the departments requests are dispatched to (/api/hotline/departments)."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from fangkong.accounts.models import User
from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Limit, Offset, Page, paginate
from fangkong.core.errors import field_error
from fangkong.hotline.dispatch import selectors, services
from fangkong.hotline.dispatch.schemas import HotlineDepartmentIn, HotlineDepartmentOut
from fangkong.hotline.models import Department
from fangkong.places.models import Division

router = Router(tags=["citizen requests"])


def department_out(d: Department) -> dict[str, Any]:
    return {
        "id": d.pk,
        "code": d.code,
        "name": d.name,
        "kind": d.kind,
        "phone": d.phone,
        "division_id": d.division_id,
        "active": d.active,
        "staff": sorted(u.username for u in d.staff.all()),
    }


@router.get(
    "/hotline/departments",
    response={200: Page[HotlineDepartmentOut], **ERRORS},
    summary="Departments",
)
def hotline_department_list(
    request: HttpRequest, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    qs = selectors.departments_for_user(request.user).prefetch_related("staff")
    page = paginate(qs, limit=limit, offset=offset)
    page["items"] = [department_out(d) for d in page["items"]]
    return page


@router.post(
    "/hotline/departments",
    response={201: HotlineDepartmentOut, **ERRORS},
    summary="Register a department",
)
def hotline_department_new(
    request: HttpRequest, payload: HotlineDepartmentIn
) -> Status[dict[str, Any]]:
    require(request.user, Cap.HOTLINE_MANAGE)
    division = Division.objects.filter(pk=payload.division_id).first()
    if division is None:
        raise field_error("division_id", _("No such place"))
    staff = list(User.objects.filter(username__in=payload.staff))
    if len(staff) != len(set(payload.staff)):
        raise field_error("staff", _("No such user"))
    made = services.department_register(
        actor=request.user,
        code=payload.code,
        name=payload.name,
        kind=payload.kind.value,
        division=division,
        phone=payload.phone,
        staff=staff,
    )
    return Status(201, department_out(made))
