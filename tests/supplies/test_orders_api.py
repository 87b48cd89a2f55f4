"""REST API and pages of the orders: a grid worker orders for a resident, the task force
batches, the enterprise moves its batch, the grid worker records delivery; errors by field;
an enterprise and an outsider see nothing of others'."""

import re

import pytest

from fangkong.places.models import Level
from fangkong.supplies.orders.models import Product
from tests.api.conftest import bearer_client
from tests.supplies.test_orders import make_point

pytestmark = pytest.mark.usefixtures("english")
JSON = "application/json"


@pytest.fixture
def as_(personas):
    clients = {}

    def _as(role):
        if role not in clients:
            clients[role] = bearer_client(personas[role])
        return clients[role]

    return _as


@pytest.fixture
def veg():
    return Product.objects.create(kind="package", name="蔬菜包", unit="份", price="39.90")


def test_order_for_a_compound_without_receiving_point_is_422_naming_it(as_, people, veg):
    got = as_("grid").post(
        "/api/supply-orders",
        {"person_id": people["zhang"].pk, "lines": [{"product_id": veg.pk, "quantity": 1}]},
        content_type=JSON,
    )
    assert got.status_code == 422
    detail = got.json()["detail"][0]
    assert detail["loc"] == ["body", "compound"] and "幸福小区" in detail["msg"]


def test_order_lifecycle_through_the_api(as_, people, veg, city, firm):
    make_point(city.w[Level.COMPOUND])
    placed = as_("grid").post(
        "/api/supply-orders",
        {"person_id": people["zhang"].pk, "lines": [{"product_id": veg.pk, "quantity": 2}]},
        content_type=JSON,
    )
    assert placed.status_code == 201, placed.json()
    order = placed.json()
    assert order["key_person"] and order["key_categories"] == ["elderly_alone"]
    assert order["total"] == "79.80" and order["lines"][0]["name"] == "蔬菜包"
    run = as_("task_force").post("/api/order-batches/run", {}, content_type=JSON)
    assert run.json() == {"batches": 1, "orders": 1, "unserved": []}
    (batch,) = as_("supply").get("/api/order-batches").json()["items"]
    assert batch["enterprise_name"] == firm.name and batch["key_orders"] == 1
    skip = as_("supply").post(
        f"/api/order-batches/{batch['id']}/status", {"status": "at_point"}, content_type=JSON
    )
    assert skip.status_code == 422 and skip.json()["detail"][0]["loc"] == ["body", "status"]
    for status in ("accepted", "dispatched", "at_point"):
        moved = as_("supply").post(
            f"/api/order-batches/{batch['id']}/status", {"status": status}, content_type=JSON
        )
        assert moved.status_code == 200 and moved.json()["status"] == status
    seen = as_("supply").get(f"/api/supply-orders/{order['id']}").json()
    assert seen["person_name"] != "张伟"  # masked to the enterprise
    wrong = as_("grid").post(
        f"/api/supply-orders/{order['id']}/deliver",
        {"volunteer": "小李", "code": "x"},
        content_type=JSON,
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "code"]
    from fangkong.supplies.orders.models import Order

    code = Order.objects.get(pk=order["id"]).confirmation_code
    done = as_("grid").post(
        f"/api/supply-orders/{order['id']}/deliver",
        {"volunteer": "小李", "code": code},
        content_type=JSON,
    )
    assert done.status_code == 200 and done.json()["status"] == "delivered"
    problem = as_("supply").post(
        f"/api/supply-orders/{order['id']}/problems",
        {"kind": "missing", "note": "少一份"},
        content_type=JSON,
    )
    assert problem.status_code == 201 and problem.json()["problems"][0]["kind"] == "missing"
    (row,) = as_("task_force").get("/api/supply-orders/totals").json()
    assert row["compound"]["name"] == "幸福小区" and row["delivered"] == 1
    supplies = as_("task_force").get("/api/command/situation").json()["supplies"]
    assert supplies["orders_late"] == 0 and supplies["passes_issued"] == 0
    assert as_("outsider").get(f"/api/supply-orders/{order['id']}").status_code == 404
    assert as_("outsider").get("/api/supply-orders/totals").json() == []


def test_receiving_points_and_catalogue_through_the_api(as_, city):
    made = as_("street").post(
        "/api/receiving-points",
        {
            "compound": city.w[Level.COMPOUND].key,
            "name": "南门",
            "location": "南门快递柜旁",
            "hours": "9:00-18:00",
            "contact_name": "王主任",
        },
        content_type=JSON,
    )
    assert made.status_code == 201, made.json()
    assert as_("outsider").get("/api/receiving-points").json()["items"] == []
    product = as_("task_force").post(
        "/api/supply-products",
        {"kind": "package", "name": "米面油包", "unit": "份", "price": "88.00"},
        content_type=JSON,
    )
    assert product.status_code == 201 and product.json()["price"] == "88.00"
    assert (
        as_("grid")
        .post(
            "/api/supply-products",
            {"kind": "item", "name": "鸡蛋", "unit": "斤", "price": "6"},
            content_type=JSON,
        )
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    "path",
    [
        "/supplies/orders/",
        "/supplies/orders/new/",
        "/supplies/orders/new/?q=张伟",
        "/supplies/orders/totals/",
        "/supplies/order-batches/",
        "/supplies/receiving-points/",
        "/supplies/supply-products/",
    ],
)
def test_order_pages_open_for_the_task_force(client, login, personas, people, path):
    login(personas["task_force"])
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path", ["/supplies/orders/", "/supplies/order-batches/", "/supplies/receiving-points/"]
)
def test_the_order_lists_say_which_page_they_show(client, login, personas, path):
    """The pager reads its numbers from `pager` (the lists once spread them into the page's
    context, and a phone showed "第 页")."""
    login(personas["task_force"])
    page = client.get(path).content.decode()
    assert re.search(r"第 1 页|Page 1", page), path


def test_resident_orders_on_my_orders(client, people, city, veg):
    make_point(city.w[Level.COMPOUND])
    zhang = people["zhang"]
    client.post("/my-orders/", {"id_number": zhang.id_number, "phone": zhang.phone})
    page = client.get("/my-orders/")
    assert "蔬菜包" in page.content.decode()
    client.post("/my-orders/", {f"q{veg.pk}": "1", "for_person": people["li"].pk})
    assert people["li"].supply_orders.get().channel == "resident"
