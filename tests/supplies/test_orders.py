"""Orders into sealed compounds: placing (own household, on someone's behalf), the error of a
compound without a receiving point, batching and assignment, the way to the door with proof
and audit events, key persons first, lateness by the policy's deadline to the minute, scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.audit.services import SELF_SERVICE
from fangkong.places.models import Level
from fangkong.policy.accessor import current
from fangkong.supplies.models import Courier
from fangkong.supplies.orders import selectors, services
from fangkong.supplies.orders.models import Order, OrderStatus, Product, ReceivingPoint
from tests import factories as f
from tests.supplies.conftest import GRANTED, make_firm


def make_point(compound, name="东门接收点") -> ReceivingPoint:
    return ReceivingPoint.objects.create(
        compound=compound,
        division_key=compound.key,
        name=name,
        location="东门岗亭旁",
        hours="8:00-20:00",
        contact_name="刘主任",
        phone="13700000001",
    )


@pytest.fixture
def point(city) -> ReceivingPoint:
    return make_point(city.w[Level.COMPOUND])


@pytest.fixture
def veg() -> Product:
    return Product.objects.create(
        kind="package", name="蔬菜包", contents="白菜 土豆 萝卜", unit="份", price=Decimal("39.90")
    )


@pytest.fixture
def rice() -> Product:
    return Product.objects.create(
        kind="package", name="米面油包", contents="大米 面粉 食用油", unit="份", price="88.00"
    )


def deadline_minutes(key_person: bool) -> int:
    rules = current().rules.supplies.orders
    assert rules is not None
    return rules.key_person_deliver_within_minutes if key_person else rules.deliver_within_minutes


def test_resident_orders_for_herself_and_the_event_says_so(people, point, veg):
    order = services.order_place(actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 2)])
    assert order.channel == "resident"
    assert order.point == point
    assert order.total == Decimal("79.80")
    assert not order.key_person
    assert len(order.confirmation_code) == 6
    assert order.due_at == order.placed_at + dt.timedelta(minutes=deadline_minutes(False))
    event = Event.objects.get(action="order.placed", object_id=str(order.pk))
    assert event.actor_name == SELF_SERVICE
    assert event.to_value == OrderStatus.PLACED
    assert event.data["lines"] == [["蔬菜包", 2]]


def test_an_order_for_a_compound_without_receiving_point_names_the_compound(people, veg):
    with pytest.raises(ValidationError) as caught:
        services.order_place(actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 1)])
    assert "幸福小区" in str(caught.value.message_dict["compound"])
    assert not Order.objects.exists()


def test_grid_worker_orders_for_an_elderly_person_flagged_key_with_the_shorter_deadline(
    people, personas, point, veg
):
    order = services.order_place(actor=personas["grid"], person=people["zhang"], lines=[(veg, 1)])
    assert order.channel == "grid"
    assert order.key_person and order.key_categories == "elderly_alone"
    assert order.due_at == order.placed_at + dt.timedelta(minutes=deadline_minutes(True))


def test_nobody_orders_outside_their_jurisdiction(people, personas, point, veg):
    with pytest.raises(ValidationError) as caught:
        services.order_place(actor=personas["grid"], person=people["other"], lines=[(veg, 1)])
    assert "person" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.order_place(actor=personas["supply"], person=people["wang"], lines=[(veg, 1)])


def test_lateness_starts_the_minute_after_the_deadline(people, point, veg):
    placed = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=3)
    order = services.order_place(
        actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 1)], placed_at=placed
    )
    due = placed + dt.timedelta(minutes=deadline_minutes(False))
    assert order.due_at == due
    assert not selectors.is_late(order, now=due)
    assert selectors.is_late(order, now=due + dt.timedelta(minutes=1))
    assert not Order.objects.filter(selectors.late_q(due)).exists()
    assert Order.objects.filter(selectors.late_q(due + dt.timedelta(minutes=1))).count() == 1


def test_order_goes_from_placed_to_the_door_with_an_audited_event_each_step(
    people, personas, point, veg, firm
):
    order = services.order_place(actor=personas["grid"], person=people["zhang"], lines=[(veg, 1)])
    result = services.orders_batch(actor=personas["task_force"])
    assert (result.batches, result.orders, result.unserved) == (1, 1, [])
    order.refresh_from_db()
    assert order.enterprise == firm and order.batch is not None
    batch = order.batch
    for status in ("accepted", "dispatched", "at_point"):
        assert services.batch_advance(actor=personas["supply"], batch=batch, status=status) == 1
    order.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.order_deliver(
            actor=personas["grid"], order=order, volunteer="小李", code="000000x"
        )
    assert "code" in caught.value.message_dict
    done = services.order_deliver(
        actor=personas["grid"], order=order, volunteer="志愿者小李", code=order.confirmation_code
    )
    assert done.status == OrderStatus.DELIVERED and done.proof == "code"
    assert done.accepted_at and done.dispatched_at and done.at_point_at and done.delivered_at
    actions = list(
        Event.objects.filter(object_type="supplies.order", object_id=str(order.pk))
        .order_by("at", "pk")
        .values_list("action", "to_value")
    )
    assert actions == [
        ("order.placed", "placed"),
        ("order.accepted", "accepted"),
        ("order.dispatched", "dispatched"),
        ("order.at_point", "at_point"),
        ("order.delivered", "delivered"),
    ]
    assert Event.objects.filter(action="batch.assigned", object_id=str(batch.pk)).exists()
    services.order_problem_record(
        actor=personas["grid"], order=done, kind="missing", note="少一袋土豆"
    )
    assert done.problems.get().kind == "missing"


def test_a_batch_moves_one_step_at_a_time_and_only_by_its_enterprise(
    people, personas, point, veg, firm, city
):
    services.order_place(actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 1)])
    services.orders_batch(actor=personas["task_force"])
    batch = selectors.batches_for_user(personas["supply"]).get()
    with pytest.raises(ValidationError):
        services.batch_advance(actor=personas["supply"], batch=batch, status="dispatched")
    stranger = f.user("p_supply2", "supply", city.weidu)
    with pytest.raises(ValidationError):
        services.batch_advance(actor=stranger, batch=batch, status="accepted")


def test_delivery_by_photo_proof(people, personas, point, veg, firm):
    order = services.order_place(actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 1)])
    services.orders_batch(actor=personas["task_force"])
    order.refresh_from_db()
    for status in ("accepted", "dispatched", "at_point"):
        services.batch_advance(actor=personas["task_force"], batch=order.batch, status=status)
    order.refresh_from_db()
    with pytest.raises(ValidationError):
        services.order_deliver(
            actor=personas["street"], order=order, volunteer="小王", photo=b"not an image"
        )
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    done = services.order_deliver(
        actor=personas["street"], order=order, volunteer="小王", photo=png
    )
    assert done.proof == "photo" and done.photo.content_type == "image/png"


def test_key_persons_are_served_first_in_lists_and_batches(people, personas, city, veg, firm):
    make_point(city.w[Level.COMPOUND])
    other_compound = f.division(
        city.w[Level.GRID].key + "02", "和平小区", Level.COMPOUND, city.w[Level.GRID]
    )
    make_point(other_compound, "和平小区北门")
    unit = f.division(other_compound.key + "001", "3号楼", Level.BUILDING, other_compound)
    neighbour = f.resident(unit, "孙丽")
    plain = services.order_place(actor=SELF_SERVICE, person=neighbour, lines=[(veg, 1)])
    plain2 = services.order_place(actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 1)])
    key = services.order_place(actor=personas["grid"], person=people["zhang"], lines=[(veg, 1)])
    listed = list(selectors.orders_for_user(personas["street"]).values_list("pk", flat=True))
    assert listed == [key.pk, plain.pk, plain2.pk]
    services.orders_batch(actor=personas["task_force"])
    batches = list(selectors.batches_for_user(personas["supply"]))
    assert batches[0].compound == city.w[Level.COMPOUND] and batches[0].key_orders == 1
    assert batches[1].compound == other_compound and batches[1].key_orders == 0


def test_orders_wait_where_no_granted_enterprise_serves(people, personas, point, veg, city):
    make_firm(city.jianan, "建安鲜丰批发市场", "91411003MA45D9YL44", kind="wholesale")
    services.order_place(actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 1)])
    result = services.orders_batch(actor=personas["task_force"])
    assert result.batches == 0 and result.unserved == [city.w[Level.COMPOUND].key]


def test_the_most_specific_enterprise_takes_the_batch(people, personas, point, veg, firm, city):
    near = make_firm(city.jianan, "街道社区团购", "91411003MA45D9YL44", kind="platform")
    street = city.w[Level.STREET]
    Courier.objects.create(
        enterprise=near,
        person=people["li"],
        area=street,
        area_key=street.key,
        division_key=near.division_key,
        status=GRANTED,
    )
    services.order_place(actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 1)])
    services.orders_batch(actor=personas["task_force"])
    assert Order.objects.get().enterprise == near


def test_an_enterprise_sees_only_its_assignments_and_an_outsider_nothing(
    people, personas, point, veg, firm, city
):
    order = services.order_place(actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 1)])
    assert not selectors.orders_for_user(personas["supply"]).exists()  # not yet assigned
    services.orders_batch(actor=personas["task_force"])
    assert list(selectors.orders_for_user(personas["supply"])) == [order]
    stranger = f.user("p_supply2", "supply", city.weidu)
    make_firm(city.weidu, "别家超市", "91411003MA45D9YL44").staff.add(stranger)
    assert not selectors.orders_for_user(stranger).exists()
    assert not selectors.batches_for_user(stranger).exists()
    with pytest.raises(Http404):
        selectors.order_for_user(stranger, order.pk)
    assert not selectors.orders_for_user(personas["outsider"]).exists()
    assert not selectors.points_for_user(personas["outsider"]).exists()
    with pytest.raises(PermissionDenied):
        selectors.orders_for_user(personas["lab"])


def test_totals_by_compound_and_the_dashboard_figures(people, personas, point, veg):
    placed = timezone.now() - dt.timedelta(days=3)
    services.order_place(
        actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 1)], placed_at=placed
    )
    services.order_place(actor=personas["grid"], person=people["zhang"], lines=[(veg, 1)])
    (row,) = selectors.totals_by_compound(personas["task_force"])
    assert (row.name, row.open, row.late, row.key_open, row.points) == ("幸福小区", 2, 1, 1, 1)
    figures = selectors.order_figures(personas["street"].jurisdiction.key)
    assert (figures.open, figures.late) == (2, 1)
    assert selectors.order_figures(personas["outsider"].jurisdiction.key).open == 0


def test_receiving_points_are_registered_by_the_community_in_its_compounds(personas, city):
    point = services.point_register(
        actor=personas["street"],
        compound=city.w[Level.COMPOUND],
        name="南门接收点",
        location="南门快递柜旁",
        hours="9:00-18:00",
        contact_name="王主任",
        phone="13700000002",
    )
    assert Event.objects.filter(action="receiving_point.registered", object_id=str(point.pk))
    with pytest.raises(ValidationError):
        services.point_register(
            actor=personas["outsider"],
            compound=city.w[Level.COMPOUND],
            name="x",
            location="x",
            hours="x",
            contact_name="x",
            phone="",
        )
    with pytest.raises(PermissionDenied):
        services.point_register(
            actor=personas["grid"],
            compound=city.w[Level.COMPOUND],
            name="x",
            location="x",
            hours="x",
            contact_name="x",
            phone="",
        )


def test_the_task_force_keeps_the_catalogue_with_prices(personas):
    product = services.product_save(
        actor=personas["task_force"],
        kind="package",
        name="母婴包",
        contents="奶粉 纸尿裤",
        unit="份",
        price="128",
        for_infants=True,
    )
    services.product_save(
        actor=personas["task_force"],
        product=product,
        kind="package",
        name="母婴包",
        contents="奶粉 纸尿裤",
        unit="份",
        price="118.5",
        for_infants=True,
    )
    event = Event.objects.filter(action="product.saved").order_by("pk").last()
    assert (event.from_value, event.to_value) == ("128.00", "118.50")
    with pytest.raises(PermissionDenied):
        services.product_save(
            actor=personas["grid"], kind="item", name="鸡蛋", contents="", unit="斤", price="6"
        )


def test_dashboard_figures_count_open_and_late_orders_as_of_a_moment(people, personas, point, veg):
    from fangkong.supplies.orders.figures import supply_figures

    placed = timezone.now() - dt.timedelta(days=3)
    services.order_place(
        actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 1)], placed_at=placed
    )
    services.order_place(actor=personas["grid"], person=people["zhang"], lines=[(veg, 1)])
    now = selectors.order_figures  # the list's own count agrees
    figures = supply_figures(prefix=personas["street"].jurisdiction.key, at=timezone.now())
    assert (figures.orders_open, figures.orders_late, figures.orders_key_open) == (2, 1, 1)
    assert figures.compounds[0].name == "幸福小区" and figures.compounds[0].late == 1
    before = supply_figures(prefix="", at=placed + dt.timedelta(hours=1))
    assert (before.orders_open, before.orders_late) == (1, 0)
    assert now(personas["street"].jurisdiction.key).open == 2
