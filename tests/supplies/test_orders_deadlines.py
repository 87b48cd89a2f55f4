"""Orders: deadlines by the level of the risk zone over the compound (policy data), the
cancellation's own time (figures as of a moment before it count the order open), and the
photo at the door through the API (size and type told by the bytes, scoped)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pydantic import ValidationError as RulesError

from fangkong.audit.models import Event
from fangkong.audit.services import SELF_SERVICE
from fangkong.core.uploads import image_type
from fangkong.places.models import Level
from fangkong.policy.accessor import current
from fangkong.policy.schema import Rules
from fangkong.policy.services import shipped_documents
from fangkong.supplies.orders import selectors, services
from fangkong.supplies.orders.figures import supply_figures
from fangkong.supplies.orders.models import DeliveryPhoto, Order, OrderStatus, Product
from fangkong.zones import services as zones
from tests.api.conftest import bearer_client
from tests.supplies.test_orders import make_point

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def veg() -> Product:
    return Product.objects.create(kind="package", name="蔬菜包", unit="份", price=Decimal("39.90"))


@pytest.fixture
def point(city):
    return make_point(city.w[Level.COMPOUND])


def strictest_level() -> str:
    return current().rules.zones.levels[0]


def zone_minutes(level: str, key_person: bool) -> int:
    rules = current().rules.supplies.orders
    assert rules is not None and level in rules.by_zone_level, "the shipped profile sets it"
    chosen = rules.by_zone_level[level]
    return chosen.key_person_deliver_within_minutes if key_person else chosen.deliver_within_minutes


def general_minutes(key_person: bool) -> int:
    rules = current().rules.supplies.orders
    assert rules is not None
    return rules.key_person_deliver_within_minutes if key_person else rules.deliver_within_minutes


def draw(personas, place, level, started_at):
    return zones.zone_draw(
        actor=personas["command"],
        level=level,
        divisions=[place],
        reason="确诊病例居住小区",
        started_at=started_at,
        now=started_at,
    )


# Deadlines by zone level -------------------------------------------------------------------------


def test_an_order_into_a_sealed_compound_is_due_by_the_zone_levels_deadline(
    people, personas, city, point, veg
):
    level = strictest_level()
    drawn = timezone.now() - dt.timedelta(days=2)
    draw(personas, city.w[Level.BUILDING], level, drawn)
    assert zone_minutes(level, False) != general_minutes(False)
    order = services.order_place(actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 1)])
    assert order.zone_level == level
    assert order.due_at == order.placed_at + dt.timedelta(minutes=zone_minutes(level, False))
    key = services.order_place(actor=personas["grid"], person=people["zhang"], lines=[(veg, 1)])
    assert key.due_at == key.placed_at + dt.timedelta(minutes=zone_minutes(level, True))
    event = Event.objects.get(action="order.placed", object_id=str(order.pk))
    assert event.data["zone_level"] == level
    # Late by that deadline, to the minute.
    assert not selectors.is_late(order, now=order.due_at)
    assert selectors.is_late(order, now=order.due_at + dt.timedelta(minutes=1))
    # An order entered late, placed before the zone was drawn, keeps the general deadline.
    before = services.order_place(
        actor=SELF_SERVICE,
        person=people["wang"],
        lines=[(veg, 1)],
        placed_at=drawn - dt.timedelta(hours=1),
    )
    assert before.zone_level == ""
    assert before.due_at == before.placed_at + dt.timedelta(minutes=general_minutes(False))


def test_a_zone_elsewhere_or_a_lifted_level_leaves_the_general_deadline(
    people, personas, city, point, veg
):
    levels = current().rules.zones.levels
    draw(personas, city.j[Level.BUILDING], levels[0], timezone.now() - dt.timedelta(hours=3))
    # A zone over the home lifted an hour ago: orders placed since keep the general deadline,
    # one placed (entered late) while it was in force takes the zone's.
    zone = draw(personas, city.w[Level.BUILDING], levels[0], timezone.now() - dt.timedelta(hours=3))
    lifted = timezone.now() - dt.timedelta(hours=1)
    zones.zone_set_level(
        actor=personas["command"], zone=zone, level=levels[-1], reason="解封", changed_at=lifted
    )
    order = services.order_place(actor=SELF_SERVICE, person=people["wang"], lines=[(veg, 1)])
    assert order.zone_level == ""
    assert order.due_at == order.placed_at + dt.timedelta(minutes=general_minutes(False))
    earlier = services.order_place(
        actor=SELF_SERVICE,
        person=people["wang"],
        lines=[(veg, 1)],
        placed_at=lifted - dt.timedelta(minutes=30),
    )
    assert earlier.zone_level == levels[0]
    assert earlier.due_at == earlier.placed_at + dt.timedelta(
        minutes=zone_minutes(levels[0], False)
    )


def test_the_order_shows_its_zone_level_on_the_page_and_in_the_api(
    client, login, people, personas, city, point, veg
):
    level = strictest_level()
    draw(personas, city.w[Level.BUILDING], level, timezone.now() - dt.timedelta(hours=1))
    order = services.order_place(actor=personas["grid"], person=people["zhang"], lines=[(veg, 1)])
    got = bearer_client(personas["grid"]).get(f"/api/supply-orders/{order.pk}").json()
    assert got["zone_level"] == level and got["zone_level_name"] not in ("", level)
    login(personas["grid"])
    page = client.get(f"/supplies/orders/{order.pk}/").content.decode()
    assert got["zone_level_name"] in page and 'id="deadline-basis"' in page


def test_deadlines_by_zone_level_name_levels_of_the_profile(db):
    doc = next(d for d in shipped_documents() if d["code"] == current().profile.code)
    rules = {**doc["rules"]}
    orders = {**rules["supplies"]["orders"], "by_zone_level": {"nowhere": {
        "deliver_within_minutes": 60, "key_person_deliver_within_minutes": 30}}}  # fmt: skip
    rules["supplies"] = {**rules["supplies"], "orders": orders}
    with pytest.raises(RulesError) as caught:
        Rules.model_validate(rules)
    assert caught.value.errors()[0]["loc"] == ("supplies", "orders", "by_zone_level", "nowhere")
    for shipped in shipped_documents():  # the three shipped profiles: levels of their own
        Rules.model_validate(shipped["rules"])
        assert shipped["rules"]["supplies"]["orders"]["by_zone_level"]


# The cancellation's time -------------------------------------------------------------------------


def test_an_order_cancelled_after_a_moment_was_open_at_that_moment(people, personas, point, veg):
    placed = timezone.now() - dt.timedelta(days=2)
    order = services.order_place(
        actor=personas["grid"], person=people["wang"], lines=[(veg, 1)], placed_at=placed
    )
    cancelled = placed + dt.timedelta(hours=5)
    with pytest.raises(ValidationError) as caught:
        services.order_cancel(
            actor=personas["grid"], order=order, reason="x", at=placed - dt.timedelta(minutes=1)
        )
    assert "at" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.order_cancel(
            actor=personas["grid"],
            order=order,
            reason="x",
            at=timezone.now() + dt.timedelta(days=1),
        )
    assert "at" in caught.value.message_dict
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED
    services.order_cancel(actor=personas["grid"], order=order, reason="家人已送达", at=cancelled)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancelled_at == cancelled
    assert order.cancel_recorded_at is not None and order.cancel_recorded_at > cancelled
    event = Event.objects.get(action="order.cancelled", object_id=str(order.pk))
    assert event.at == cancelled and event.recorded_at > cancelled
    key = personas["street"].jurisdiction.key
    assert supply_figures(prefix=key, at=placed - dt.timedelta(minutes=1)).orders_open == 0
    assert supply_figures(prefix=key, at=cancelled - dt.timedelta(minutes=1)).orders_open == 1
    assert supply_figures(prefix=key, at=cancelled).orders_open == 0
    assert supply_figures(prefix=key, at=timezone.now()).orders_open == 0


def test_the_situation_api_counts_a_later_cancelled_order_open_as_of_before(
    people, personas, point, veg
):
    placed = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
    order = services.order_place(
        actor=personas["grid"], person=people["wang"], lines=[(veg, 1)], placed_at=placed
    )
    grid = bearer_client(personas["grid"])
    cancelled = placed + dt.timedelta(days=1)
    got = grid.post(
        f"/api/supply-orders/{order.pk}/cancel",
        {"reason": "不需要了", "at": cancelled.isoformat()},
        content_type="application/json",
    )
    assert got.status_code == 200, got.json()
    assert got.json()["cancelled_at"] is not None and got.json()["cancel_recorded_at"] is not None
    chief = bearer_client(personas["task_force"])

    def open_as_of(moment):
        path = f"/api/command/situation?as_of={moment.isoformat().replace('+', '%2B')}"
        body = chief.get(path)
        assert body.status_code == 200, body.json()
        return body.json()["supplies"]["orders_open"]

    assert open_as_of(placed + dt.timedelta(hours=12)) == 1
    assert open_as_of(cancelled + dt.timedelta(hours=1)) == 0
    bad = grid.post(
        f"/api/supply-orders/{order.pk}/cancel", {"reason": "x"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "status"]


# The photo at the door through the API -----------------------------------------------------------


@pytest.fixture
def at_point(people, personas, point, veg, firm):
    order = services.order_place(actor=personas["grid"], person=people["wang"], lines=[(veg, 1)])
    services.orders_batch(actor=personas["task_force"])
    order.refresh_from_db()
    for status in ("accepted", "dispatched", "at_point"):
        services.batch_advance(actor=personas["task_force"], batch=order.batch, status=status)
    order.refresh_from_db()
    return order


def photo_post(client, order, content, name="door.jpg", **extra):
    return client.post(
        f"/api/supply-orders/{order.pk}/deliver-photo",
        {"volunteer": "志愿者小李", "photo": SimpleUploadedFile(name, content), **extra},
    )


def test_image_type_is_told_by_the_bytes():
    assert image_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert image_type(PNG) == "image/png"
    assert image_type(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert image_type(b"RIFF\x10\x00\x00\x00AVI LIST") is None
    assert image_type(b"GIF89a") is None and image_type(b"") is None


def test_delivery_photo_through_the_api_and_read_back_by_those_who_see_the_order(
    personas, at_point
):
    grid = bearer_client(personas["grid"])
    got = photo_post(grid, at_point, PNG, name="door.png")
    assert got.status_code == 200, got.json()
    body = got.json()
    assert body["status"] == "delivered" and body["proof"] == "photo" and body["has_photo"]
    assert body["delivered_by"] == "志愿者小李"
    photo = grid.get(f"/api/supply-orders/{at_point.pk}/photo")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert photo.content == PNG and photo["X-Content-Type-Options"] == "nosniff"
    # The enterprise the order is assigned to sees it; an outsider gets nothing.
    assert (
        bearer_client(personas["supply"]).get(f"/api/supply-orders/{at_point.pk}/photo").content
        == PNG
    )
    outsider = bearer_client(personas["outsider"])
    assert outsider.get(f"/api/supply-orders/{at_point.pk}/photo").status_code == 404
    event = Event.objects.get(action="order.delivered", object_id=str(at_point.pk))
    assert event.data["proof"] == "photo"


def test_a_photo_that_is_not_an_image_or_too_large_is_refused_naming_it(
    personas, at_point, settings
):
    grid = bearer_client(personas["grid"])
    fake = photo_post(grid, at_point, b"MZ\x90\x00 not a picture", name="door.jpg")
    assert fake.status_code == 422
    assert fake.json()["detail"][0]["loc"][-1] == "photo"
    settings.PHOTO_MAX_UPLOAD_MB = 0.0001  # ~100 bytes
    big = photo_post(grid, at_point, PNG + b"\x00" * 200, name="door.png")
    assert big.status_code == 422 and big.json()["detail"][0]["loc"][-1] == "photo"
    assert "MB" in big.json()["detail"][0]["msg"]
    at_point.refresh_from_db()
    assert at_point.status == OrderStatus.AT_POINT and not DeliveryPhoto.objects.exists()


def test_only_those_who_deliver_in_scope_record_a_photo(personas, at_point):
    assert photo_post(bearer_client(personas["supply"]), at_point, PNG).status_code == 403
    assert photo_post(bearer_client(personas["outsider"]), at_point, PNG).status_code in (403, 404)
    at_point.refresh_from_db()
    assert at_point.status == OrderStatus.AT_POINT
    assert (
        bearer_client(personas["grid"]).get(f"/api/supply-orders/{at_point.pk}/photo").status_code
        == 404
    )  # no photo yet


def test_the_migration_gives_orders_cancelled_before_it_their_events_time(
    people, personas, point, veg
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "fangkong.supplies.migrations.0004_order_zone_level_cancelled_at"
    )
    placed = timezone.now() - dt.timedelta(days=1)
    with_event, without = (
        services.order_place(
            actor=personas["grid"], person=people["wang"], lines=[(veg, 1)], placed_at=placed
        )
        for _ in range(2)
    )
    cancelled = placed + dt.timedelta(hours=2)
    services.order_cancel(actor=personas["grid"], order=with_event, reason="x", at=cancelled)
    Order.objects.filter(pk=without.pk).update(status=OrderStatus.CANCELLED)
    Order.objects.update(cancelled_at=None, cancel_recorded_at=None)  # as before the migration
    migration.cancelled_times(apps, None)
    with_event.refresh_from_db()
    without.refresh_from_db()
    assert with_event.cancelled_at == with_event.cancel_recorded_at == cancelled
    assert without.cancelled_at == without.recorded_at


def test_the_pages_cancel_with_a_time_and_refuse_a_photo_that_is_not_an_image(
    client, login, people, personas, at_point, veg
):
    login(personas["grid"])
    fake = client.post(
        f"/supplies/orders/{at_point.pk}/deliver/",
        {"volunteer": "小李", "photo": SimpleUploadedFile("door.jpg", b"not a picture")},
        follow=True,
    )
    assert "JPEG" in fake.content.decode()
    at_point.refresh_from_db()
    assert at_point.status == OrderStatus.AT_POINT
    done = client.post(
        f"/supplies/orders/{at_point.pk}/deliver/",
        {"volunteer": "小李", "photo": SimpleUploadedFile("door.png", PNG)},
        follow=True,
    )
    assert done.status_code == 200
    at_point.refresh_from_db()
    assert at_point.status == OrderStatus.DELIVERED and at_point.photo.content_type == "image/png"
    placed = timezone.localtime() - dt.timedelta(hours=6)
    order = services.order_place(
        actor=personas["grid"], person=people["li"], lines=[(veg, 1)], placed_at=placed
    )
    when = (placed + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    client.post(
        f"/supplies/orders/{order.pk}/cancel/",
        {"reason": "家属已代购", "at": when.strftime("%Y-%m-%dT%H:%M")},
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancelled_at == when
    page = client.get(f"/supplies/orders/{order.pk}/").content.decode()
    assert 'id="cancelled-at"' in page
