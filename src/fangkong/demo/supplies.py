"""The demo city's supply enterprise, registered through the whitelist's services as the supply
task force would: a supermarket at the first street of the first district, granted on the
whitelist, the demo `supply` account on its staff, one courier (a resident of that street)
and one vehicle, both granted, and a signed pass for the vehicle (a courier's pass needs a
recent negative test, which the demo city does not make up)."""

from typing import Any

from django.utils.translation import gettext as _

from fangkong.demo import data
from fangkong.people.models import Resident
from fangkong.places.models import Division, Level
from fangkong.supplies.enterprises import services as whitelist
from fangkong.supplies.models import WhitelistStatus
from fangkong.supplies.passes.services import pass_issue

CREDIT_CODE = "91411002MA44C8XK3A"  # a made-up code with a valid check character
BASIS = "许昌市新冠肺炎疫情防控指挥部保供企业白名单通知（演示）"


def supplies_write(*, actor: Any, staff: Any) -> int:
    """The demo enterprise with a courier, a vehicle and the vehicle's pass; returns how many
    enterprises were written (0 when the first district has no street or no resident)."""
    district = Division.objects.get(key=data.DISTRICTS[0][0])
    street = (
        Division.objects.filter(level=Level.STREET, key__startswith=district.key)
        .order_by("key")
        .first()
    )
    person = (
        Resident.objects.filter(division_key__startswith=street.key).exclude(phone="").first()
        if street is not None
        else None
    )
    if street is None or person is None:
        return 0
    firm = whitelist.enterprise_register(
        actor=actor,
        kind="supermarket",
        name="许昌惠民生活超市",
        credit_code=CREDIT_CODE,
        division=street,
        address=f"{street.name}民生路 18 号",
        contact_name="周经理",
        phone="0374-2333666",
    )
    whitelist.enterprise_staff_set(actor=actor, enterprise=firm, usernames=[staff.username])
    courier = whitelist.courier_register(
        actor=actor,
        enterprise=firm,
        id_number=person.id_number,
        name=person.name,
        phone=person.phone,
        area=street,
        home_address=f"{street.name}（演示住址）",
    )
    vehicle = whitelist.vehicle_register(
        actor=actor, enterprise=firm, plate="豫K5B2D8", area=street
    )
    reason = _("Checked: licence, staff tests and vehicle disinfection")
    for row in (firm, courier, vehicle):
        whitelist.whitelist_set(
            actor=actor, obj=row, status=WhitelistStatus.GRANTED, reason=reason, basis=BASIS
        )
    pass_issue(actor=actor, holder=vehicle)
    return 1
