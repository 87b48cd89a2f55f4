"""The demo city's laboratories, registered through the registry's service as the command
centre would: the city CDC's lab (the demo `lab` account is on its staff), a designated
hospital's lab for 魏都区's fever clinics, and an independent lab serving the whole city.
Each is at the first street of its district (only the first street always exists)."""

from dataclasses import dataclass
from typing import Any

from fangkong.demo import data
from fangkong.lab.labs.services import lab_register, lab_staff_set
from fangkong.lab.models import TurnaroundClass
from fangkong.places.models import Division, Level


@dataclass(frozen=True)
class DemoLab:
    code: str
    name: str
    district: int  # index into data.DISTRICTS
    city_wide: bool  # serves the whole city, else its district
    capacity_per_day: int
    turnaround: str
    address: str
    contact_name: str
    phone: str


DEMO_LABS = [
    DemoLab(
        "XC-CDC",
        "许昌市疾病预防控制中心检测实验室",
        0,
        True,
        30000,
        TurnaroundClass.OUTPATIENT,
        "魏都区健康路 8 号",
        "陈技师",
        "0374-2966120",
    ),
    DemoLab(
        "XC-ZXYY",
        "许昌市中心医院检验科",
        0,
        False,
        8000,
        TurnaroundClass.FEVER_CLINIC,
        "魏都区劳动路 30 号",
        "赵主任",
        "0374-4386666",
    ),
    DemoLab(
        "XC-HJ",
        "许昌华检医学检验实验室",
        1,
        True,
        50000,
        TurnaroundClass.ROUTINE,
        "建安区许由路 166 号",
        "孙经理",
        "0374-8526100",
    ),
]
STAFFED = "XC-CDC"  # the lab the demo `lab` account works for


def labs_write(*, actor: Any, staff: Any) -> int:
    """Register the demo labs and put `staff` (the demo lab account) on one; returns how many."""
    city = Division.objects.get(key=data.CITY_KEY)
    made = 0
    for spec in DEMO_LABS:
        district_key = data.DISTRICTS[spec.district][0]
        district = Division.objects.get(key=district_key)
        street = (
            Division.objects.filter(level=Level.STREET, key__startswith=district_key)
            .order_by("key")
            .first()
        )
        lab = lab_register(
            actor=actor,
            code=spec.code,
            name=spec.name,
            division=street or district,
            area=city if spec.city_wide else district,
            capacity_per_day=spec.capacity_per_day,
            turnaround=spec.turnaround,
            address=spec.address,
            contact_name=spec.contact_name,
            phone=spec.phone,
        )
        if spec.code == STAFFED:
            lab_staff_set(actor=actor, lab=lab, usernames=[staff.username])
        made += 1
    return made
