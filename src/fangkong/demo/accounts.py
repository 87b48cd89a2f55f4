"""Demo accounts: one per role, an outsider street user for scoping, and `admin`.

DEMO_ACCOUNTS is machine-readable so the README and the tests can list and use them.
All share the password DEMO_PASSWORD. Those whose role needs two-factor share one published
authenticator secret, DEMO_TOTP_SECRET: add DEMO_TOTP_URI to an authenticator app once, or
print the current code with `fangkong demo_code <username>`.
"""

from base64 import b32decode
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.accounts.models import User
from fangkong.core.access import two_factor_required
from fangkong.core.roles import Role
from fangkong.demo import data
from fangkong.places.models import Division

DEMO_PASSWORD = "fangkong-demo"
# Public on purpose (README): a demo is for trying, never for real data.
DEMO_TOTP_SECRET = "FANGKONGDEMOFANGKONGDEMOFANGKONG"  # base32, 20 bytes
DEMO_TOTP_URI = (
    f"otpauth://totp/Fangkong%20demo:demo?secret={DEMO_TOTP_SECRET}"
    "&issuer=Fangkong%20demo&algorithm=SHA1&digits=6&period=30"
)
DEMO_TOTP_KEY = b32decode(DEMO_TOTP_SECRET).hex()

WEIDU = data.DISTRICTS[0][0]
JIANAN = data.DISTRICTS[1][0]
# The first street, and its first community's first grid, always exist at any size.
SCOPE_KEYS = {
    "city": data.CITY_KEY,
    "street": WEIDU + "001",
    "grid": WEIDU + "001" + "001" + "01",
    "outsider": JIANAN + "001",
    "none": "",
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # a Role value; "" for the superuser
    scope: str  # a SCOPE_KEYS key
    display_name: str
    summary_zh: str
    summary_en: str
    superuser: bool = False

    @property
    def jurisdiction_key(self) -> str:
        return SCOPE_KEYS[self.scope]


DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount(
        "command",
        Role.COMMAND,
        "city",
        "指挥部 王主任",
        "疫情防控指挥部，全市",
        "Command centre, whole city",
    ),
    DemoAccount(
        "taskforce",
        Role.TASK_FORCE,
        "city",
        "就医保障专班 李医生",
        "专班成员，全市",
        "Task-force member, whole city",
    ),
    DemoAccount(
        "street",
        Role.STREET,
        "street",
        "西大街街道 张书记",
        "街道/社区工作人员，魏都区西大街街道",
        "Street staff, 西大街街道 (魏都区)",
    ),
    DemoAccount(
        "grid",
        Role.GRID,
        "grid",
        "网格员 刘芳",
        "网格员，西大街街道第一个社区第1网格",
        "Grid worker, grid 1 of the first community in 西大街街道",
    ),
    DemoAccount(
        "lab", Role.LAB, "city", "检测机构 陈技师", "检测机构，全市", "Laboratory, whole city"
    ),
    DemoAccount(
        "quarantine",
        Role.QUARANTINE,
        "city",
        "隔离点 杨经理",
        "隔离点管理员，全市",
        "Quarantine-site manager, whole city",
    ),
    DemoAccount(
        "hospital",
        Role.HOSPITAL,
        "city",
        "定点医院 赵主任",
        "定点医院，全市",
        "Designated hospital, whole city",
    ),
    DemoAccount(
        "hotline",
        Role.HOTLINE,
        "city",
        "12345热线 周接线员",
        "12345热线接线员，全市",
        "Hotline operator, whole city",
    ),
    DemoAccount(
        "dispatcher",
        Role.DISPATCH_120,
        "city",
        "120调度员 郑调度",
        "120急救指挥中心调度员，全市",
        "120 dispatcher, whole city",
    ),
    DemoAccount(
        "supply",
        Role.SUPPLY,
        "city",
        "保供企业 吴经理",
        "保供企业，全市",
        "Supply enterprise, whole city",
    ),
    DemoAccount(
        "outsider",
        Role.STREET,
        "outsider",
        "建安区新元街道 孙干事",
        "街道工作人员，建安区（演示权限隔离）",
        "Street staff in 建安区 (shows jurisdiction scoping)",
    ),
    DemoAccount(
        "admin",
        "",
        "none",
        "系统管理员",
        "超级管理员，无辖区",
        "Superuser, no jurisdiction",
        superuser=True,
    ),
]

DEMO_USERNAMES = [a.username for a in DEMO_ACCOUNTS]


def demo_accounts_create() -> list[User]:
    """Create the demo users (the tree must exist); one password hash shared by all."""
    password = make_password(DEMO_PASSWORD)
    keys = {a.jurisdiction_key for a in DEMO_ACCOUNTS if a.jurisdiction_key}
    places = {d.key: d for d in Division.objects.filter(key__in=keys)}
    users = [
        User(
            username=a.username,
            password=password,
            role=a.role,
            jurisdiction=places.get(a.jurisdiction_key),
            display_name=a.display_name,
            is_staff=a.superuser,
            is_superuser=a.superuser,
        )
        for a in DEMO_ACCOUNTS
    ]
    created = User.objects.bulk_create(users)
    demo_devices_create(created)
    return created


def demo_devices_create(users: Iterable[User]) -> list[TOTPDevice]:
    """The published demo authenticator for every user whose role needs two-factor."""
    devices = [
        TOTPDevice(user=u, name="demo", key=DEMO_TOTP_KEY, confirmed=True)
        for u in users
        if two_factor_required(u)
    ]
    return TOTPDevice.objects.bulk_create(devices)


def is_demo_device(device: TOTPDevice) -> bool:
    return device.key == DEMO_TOTP_KEY
