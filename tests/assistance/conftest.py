"""A household of three in 魏都区 (one of them seriously ill), a worker without income, a
floating resident and a visitor; the profiles: 20-measures (standard procedure) or 许昌 May 2022
(the emergency procedure on)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from fangkong.people.models import Relation
from fangkong.places.models import Level
from fangkong.policy.models import PolicyProfile
from tests import factories as f
from tests.api.conftest import bearer_client

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def use_profile(code: str) -> None:
    PolicyProfile.objects.update(is_active=False)
    PolicyProfile.objects.filter(code=code).update(is_active=True)


def pdf(name: str = "statement.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def emergency(db):
    use_profile("xuchang-2022-05")


@pytest.fixture
def family(city):
    """张家: the head, his wife (seriously ill) and a child, one registered household."""
    unit = city.w[Level.UNIT]
    home = f.household(unit, "HH-ASSIST-1")
    head = f.resident(unit, "张建国", phone="13900001111", household=home)
    wife = f.resident(unit, "刘桂兰", sex="F", household=home)
    child = f.resident(unit, "张小明", household=home)
    for person, relation in (
        (head, Relation.HEAD),
        (wife, Relation.SPOUSE),
        (child, Relation.CHILD),
    ):
        person.relation = relation
        person.save(update_fields=["relation"])
    return {"head": head, "wife": wife, "child": child, "home": home}


@pytest.fixture
def worker(city):
    """A migrant worker living in 魏都区 (a residence-permit holder) without work since spring."""
    person = f.resident(city.w[Level.UNIT], "王建军", phone="13900002222")
    person.residency = "floating"
    person.save(update_fields=["residency"])
    return person


@pytest.fixture
def stranger(city):
    return f.resident(city.j[Level.UNIT], "赵强", phone="13900009999")


@pytest.fixture
def as_(personas):
    clients = {}

    def _as(role):
        if role not in clients:
            clients[role] = bearer_client(personas[role])
        return clients[role]

    return _as
