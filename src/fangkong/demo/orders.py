"""The demo city's orders into sealed compounds, made through the orders' services: the
catalogue (蔬菜包, 米面油包, 母婴包, 肉蛋包 and two single items), a fixed receiving point for
every sealed or controlled compound (those under a zone in force) and for the compounds of the
demo supermarket's street, and a few orders there in every state: delivered to the door (by
code), at the receiving point, accepted, and placed (not yet batched), key persons first."""

from typing import Any

from django.db.models import Q

from fangkong.audit.services import SELF_SERVICE
from fangkong.people.models import KeyPerson, Resident
from fangkong.places.models import KEY_LENGTH, Division, Level
from fangkong.supplies.models import Enterprise
from fangkong.supplies.orders import services
from fangkong.supplies.orders.models import Order, OrderBatch, OrderStatus
from fangkong.zones.models import ZoneArea, ZoneStatus

CATALOGUE = [
    ("package", "蔬菜包", "白菜、土豆、萝卜、洋葱、西红柿 约 5 公斤", "份", "39.90", False),
    ("package", "米面油包", "大米 5 公斤、面粉 2.5 公斤、食用油 1.8 升", "份", "88.00", False),
    ("package", "母婴包", "婴儿配方奶粉 1 罐、纸尿裤 1 包、湿巾", "份", "168.00", True),
    ("package", "肉蛋包", "猪肉 1 公斤、鸡蛋 30 枚", "份", "79.00", False),
    ("item", "鸡蛋", "30 枚", "盒", "25.00", False),
    ("item", "方便面", "5 连包", "袋", "12.50", False),
]
COMPOUND = KEY_LENGTH[Level.COMPOUND]
PER_COMPOUND = 4  # orders per compound in the demo


def _sealed_compounds() -> list[Division]:
    """Compounds under a zone in force (the zone's node is the compound or above it)."""
    keys = set(
        ZoneArea.objects.filter(zone__status=ZoneStatus.ACTIVE, division__isnull=False).values_list(
            "division_key", flat=True
        )
    )
    if not keys:
        return []
    under = Q(pk__in=[])
    for key in keys:
        under |= (
            Q(key__startswith=key[:COMPOUND]) if len(key) >= COMPOUND else Q(key__startswith=key)
        )
    return list(Division.objects.filter(under, level=Level.COMPOUND).order_by("key")[:20])


def orders_write(*, actor: Any, staff: Any) -> int:
    """The demo catalogue, receiving points and orders; returns how many orders."""
    firm = Enterprise.objects.filter(staff=staff).order_by("pk").first()
    if firm is None:
        return 0
    products = [
        services.product_save(
            actor=actor, kind=k, name=n, contents=c, unit=u, price=p, for_infants=infants
        )
        for k, n, c, u, p, infants in CATALOGUE
    ]
    served = list(
        Division.objects.filter(level=Level.COMPOUND, key__startswith=firm.division_key).order_by(
            "key"
        )[:3]
    )
    compounds = {c.pk: c for c in [*_sealed_compounds(), *served]}
    for compound in compounds.values():
        services.point_register(
            actor=actor,
            compound=compound,
            name=f"{compound.name}东门接收点",
            location="东门岗亭旁，物资放置区",
            hours="8:00-20:00",
            contact_name="社区值班员",
            phone="0374-2333000",
        )
    made = 0
    for compound in served:
        inside = Resident.objects.filter(division_key__startswith=compound.key)
        keyed = inside.filter(
            pk__in=KeyPerson.objects.filter(division_key__startswith=compound.key).values(
                "resident_id"
            )
        )
        people = list(keyed.order_by("pk")[:2]) + list(inside.order_by("pk")[:PER_COMPOUND])
        for i, person in enumerate(dict.fromkeys(people)):
            if made and i >= PER_COMPOUND:
                break
            lines = [(products[i % 4], 1)] + ([(products[4], 2)] if i % 2 else [])
            services.order_place(actor=actor if i % 2 else SELF_SERVICE, person=person, lines=lines)
            made += 1
    services.orders_batch(actor=actor)
    for n, batch in enumerate(OrderBatch.objects.filter(enterprise=firm).order_by("pk")):
        steps = [OrderStatus.ACCEPTED, OrderStatus.DISPATCHED, OrderStatus.AT_POINT][: 3 - n]
        for status in steps:
            services.batch_advance(actor=staff, batch=batch, status=status)
    first = Order.objects.filter(status=OrderStatus.AT_POINT).order_by("pk").first()
    if first is not None:
        services.order_deliver(
            actor=actor, order=first, volunteer="志愿者 小李", code=first.confirmation_code
        )
        services.order_problem_record(
            actor=actor, order=first, kind="missing", note="少一袋土豆，已联系超市补送"
        )
    last = (
        Resident.objects.filter(division_key__startswith=served[0].key).first() if served else None
    )
    if last is not None:
        services.order_place(actor=SELF_SERVICE, person=last, lines=[(products[1], 1)])
        made += 1
    return made
