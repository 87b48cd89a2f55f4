"""REST endpoints of price monitoring (/api/necessities, /api/price-stores,
/api/price-reports, /api/price-lights, /api/price-alerts).

Scoped like the pages (`prices.selectors`): stores and reports in the caller's jurisdiction,
an enterprise account only its own stores and their reports; lights are computed over the
reports the caller sees.
"""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile

from fangkong.core.access import Cap, can, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, ValidationErrorOut, paginate
from fangkong.core.dates import WindowDay
from fangkong.core.errors import field_error
from fangkong.core.uploads import uploaded_path
from fangkong.places.selectors import place_in_scope
from fangkong.supplies import selectors as app_selectors
from fangkong.supplies.prices import reports_import, selectors, services
from fangkong.supplies.prices.lights import Light
from fangkong.supplies.prices.models import Necessity, PriceAlert, PriceReport, ReportSource, Store
from fangkong.supplies.prices.schemas import (
    NecessityOut,
    PriceAlertOut,
    PriceAlertStatusIn,
    PriceBoardOut,
    PriceImportOut,
    PriceReportOut,
    PriceReportsIn,
    PriceReportsOut,
    PriceStoreIn,
    PriceStoreOut,
)

router = Router(tags=["price monitoring"])


def _place(division: Any) -> dict[str, str] | None:
    if division is None:
        return None
    return {"code": division.code, "key": division.key, "name": division.name}


def _reporter_cap(user: Any) -> Cap:
    return Cap.SUPPLIES_MANAGE if can(user, Cap.SUPPLIES_MANAGE) else Cap.SUPPLY_ENTERPRISE


def _necessity_out(n: Necessity) -> dict[str, Any]:
    return {
        "id": n.pk,
        "code": n.code,
        "name": n.name,
        "name_en": n.name_en,
        "group": n.group,
        "unit": n.unit,
        "per_capita_daily": n.per_capita_daily,
        "max_price": n.max_price,
        "active": n.active,
    }


def _store_out(s: Store) -> dict[str, Any]:
    return {
        "id": s.pk,
        "name": s.name,
        "enterprise_id": s.enterprise_id,
        "enterprise": s.enterprise.name,
        "place": _place(s.division),
    }


def _report_out(r: PriceReport) -> dict[str, Any]:
    return {
        "id": r.pk,
        "store_id": r.store_id,
        "item": r.necessity.code,
        "day": r.day,
        "price": r.price,
        "stock": r.stock,
        "arrivals": r.arrivals,
        "source": r.source,
        "reported_at": r.reported_at,
    }


def _alert_out(a: PriceAlert) -> dict[str, Any]:
    return {
        "id": a.pk,
        "item": a.necessity.code,
        "item_name": a.necessity.name,
        "area": _place(a.area),
        "day": a.day,
        "last_day": a.last_day,
        "reason": a.reason_text(),
        "status": a.status,
        "note": a.note,
        "opened_at": a.opened_at,
        "closed_at": a.closed_at,
    }


def _change(change: Any) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "pct": change.pct,
        "stores": change.stores,
        "since": change.since,
        "earliest": change.earliest,
    }


def _light_out(light: Light, areas: dict[str, Any]) -> dict[str, Any]:
    words = light.reasons()
    return {
        "area": _place(areas.get(light.area)),
        "item": light.item.name_en,
        "item_name": light.item.label(),
        "level": light.level,
        "reason": light.reason(),
        "reason_zh": words["zh-hans"],
        "reason_en": words["en"],
        "price": light.price,
        "change": _change(light.change),
        "day_change": _change(light.day_change),
        "stock_days": light.stock_days,
        "stores": light.stores,
    }


@router.get("/necessities", response={200: list[NecessityOut], **ERRORS}, summary="Necessities")
def necessity_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The catalogue of necessities stores report (data kept by the supply task force)."""
    require(request.user, Cap.SUPPLIES_VIEW)
    return [_necessity_out(n) for n in selectors.necessities(active_only=False)]


@router.get(
    "/price-stores", response={200: Page[PriceStoreOut], **ERRORS}, summary="Reporting stores"
)
def price_store_list(
    request: HttpRequest, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    stores = selectors.stores_for_user(request.user).select_related("enterprise", "division")
    return paginate(stores.order_by("pk"), limit=limit, offset=offset, convert=_store_out)


@router.post("/price-stores", response={201: PriceStoreOut, **ERRORS}, summary="Register a store")
def price_store_new(request: HttpRequest, payload: PriceStoreIn) -> Status[dict[str, Any]]:
    """A reporting store of an enterprise (the task force: any in its jurisdiction; an
    enterprise account: its own) at a district or finer place."""
    cap = _reporter_cap(request.user)
    require(request.user, cap)
    enterprise = app_selectors.enterprise_for_user(request.user, payload.enterprise_id, cap)
    store = services.store_register(
        actor=request.user,
        enterprise=enterprise,
        name=payload.name,
        division=place_in_scope(request.user, payload.place, "place"),
    )
    return Status(201, _store_out(store))


@router.get(
    "/price-reports", response={200: Page[PriceReportOut], **ERRORS}, summary="Price reports"
)
def price_report_list(
    request: HttpRequest,
    day: WindowDay | None = None,
    store_id: Id | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Reports you see (an enterprise account: its own stores'), newest day first."""
    reports = selectors.reports_for_user(request.user).select_related("necessity")
    if day is not None:
        reports = reports.filter(day=day)
    if store_id is not None:
        reports = reports.filter(store_id=store_id)
    return paginate(reports.order_by("-day", "pk"), limit=limit, offset=offset, convert=_report_out)


@router.post("/price-reports", response={200: PriceReportsOut, **ERRORS}, summary="Report prices")
def price_report_new(request: HttpRequest, payload: PriceReportsIn) -> dict[str, Any]:
    """One or more reports (price, stock, arrivals of an item at a store on a day), all or
    none: a bad one is a 422 naming `reports.<n>.<field>`. The same store, item and day
    reported again replaces the report."""
    cap = _reporter_cap(request.user)
    require(request.user, cap)
    catalogue = services.catalogue_index()
    stores = {s.pk: s for s in selectors.stores_for_user(request.user, cap)}
    checked: list[services.ReportIn] = []
    for n, r in enumerate(payload.reports):
        store = stores.get(r.store_id)
        if store is None:
            raise field_error(f"reports.{n}.store_id", _("Not found"))
        item = services.necessity_named(r.item, catalogue)
        if item is None:
            message = _(services.E_UNKNOWN_ITEM) % {"value": r.item}
            raise field_error(f"reports.{n}.item", message)
        values, problems = report_values(item, r)
        if problems:
            raise field_error(f"reports.{n}.{problems[0].field}", problems[0].words())
        checked.append(services.ReportIn(store, item, r.day, **values))
    created, changed = services.price_reports_record(
        actor=request.user, reports=checked, source=ReportSource.API
    )
    return {"created": created, "changed": changed}


def report_values(item: Necessity, r: Any) -> tuple[dict[str, Any], list[services.Problem]]:
    return services.report_problems(
        item, price=r.price, stock=r.stock, arrivals=r.arrivals, unit=r.unit, day=r.day
    )


@router.post(
    "/price-reports/import",
    response={200: PriceImportOut, **ERRORS, 422: PriceImportOut | ValidationErrorOut},
    summary="Upload price reports",
)
def price_report_upload(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008
) -> Any:
    """A CSV/XLSX file (监测点 store name or number, 品种 item, 日期 day, 单位 unit, 价格
    price, 库存 stock, 到货量 arrivals): applied whole or not at all (422 lists each bad row
    and column); the same file again changes nothing."""
    require(request.user, _reporter_cap(request.user))
    with uploaded_path(file) as path:
        result = reports_import.price_reports_import(
            actor=request.user, path=path, filename=file.name or ""
        )
    body = {
        "filename": result.filename,
        "rows_read": result.rows_read,
        "created": result.created,
        "changed": result.changed,
        "written": result.written,
        "error_count": result.error_count,
        "errors": [
            {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
            for e in result.errors
        ],
    }
    return Status(200 if result.written else 422, body)


@router.get("/price-lights", response={200: PriceBoardOut, **ERRORS}, summary="Price lights")
def price_lights(request: HttpRequest, day: WindowDay | None = None) -> dict[str, Any]:
    """Lights by area × item on `day` (today by default) over the reports you see, each with
    its reason in words (in your language, and in both), the counts by colour."""
    require(request.user, Cap.SUPPLIES_VIEW)
    on = day if day is not None and day <= timezone.localdate() else timezone.localdate()
    board = selectors.board_for(request.user, on, chart=False)
    return {
        "day": board.day,
        "change_days": board.rules.change_days if board.rules else None,
        "counts": board.counts(),
        "lights": [_light_out(lt, board.areas) for lt in board.lights],
    }


@router.get("/price-alerts", response={200: Page[PriceAlertOut], **ERRORS}, summary="Price alerts")
def price_alert_list(
    request: HttpRequest, status: str = "", limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """Alerts red lights opened for the supply task force in your jurisdiction."""
    alerts = selectors.alerts_for_user(request.user).select_related("necessity", "area")
    if status:
        alerts = alerts.filter(status=status[:20])
    return paginate(
        alerts.order_by("-last_day", "pk"), limit=limit, offset=offset, convert=_alert_out
    )


@router.post(
    "/price-alerts/{int:price_alert_id}/status",
    response={200: PriceAlertOut, **ERRORS},
    summary="Acknowledge or resolve a price alert",
)
def price_alert_status(
    request: HttpRequest, price_alert_id: Id, payload: PriceAlertStatusIn
) -> dict[str, Any]:
    alert = selectors.alert_for_user(request.user, price_alert_id, Cap.SUPPLIES_MANAGE)
    row = services.alert_set_status(
        actor=request.user, alert=alert, status=payload.status.value, note=payload.note
    )
    row.necessity, row.area = alert.necessity, alert.area
    return _alert_out(row)
