"""Open311 GeoReport v2 at /open311/v2/ (issue 18): discovery, services (the fixed categories),
service definitions, POST and GET requests, request tokens; JSON or XML by the path's
extension, as the specification lays them out; errors as its list of {code, description} with
the HTTP status. Posting needs a client's API key (`fangkong open311_key`); reading requests
too (they are citizens' words: the specification leaves it to the server). `jurisdiction_id`,
when given, must be this city's (its root place's code). `expected_datetime` is the SLA
deadline of the rule that dispatched the request."""

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qsl

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from fangkong.hotline.models import (
    HotlineCategory,
    HotlineChannel,
    HotlineRequest,
    HotlineStatus,
    Open311Client,
    key_digest,
)
from fangkong.hotline.requests import services
from fangkong.places.models import Division

FORMATS = {"json": "application/json", "xml": "text/xml"}
MAX_BODY = 64 * 1024  # bytes: a request is a few lines of text and a location
CLOSED = {HotlineStatus.CLOSED, HotlineStatus.CANCELLED, HotlineStatus.MERGED}
LIST_LIMIT = 1000  # the specification's default window: at most this many per answer


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        node = ET.SubElement(top, item)
        _fill(node, row)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _fill(node: ET.Element, row: dict[str, Any]) -> None:
    for key, value in row.items():
        if isinstance(value, list):
            holder = ET.SubElement(node, key)
            for one in value:
                child = ET.SubElement(holder, key.rstrip("s") if key != "values" else "value")
                if isinstance(one, dict):
                    _fill(child, one)
                else:
                    child.text = str(one)
        elif isinstance(value, dict):
            _fill(ET.SubElement(node, key), value)
        else:
            child = ET.SubElement(node, key)
            if value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)


def _answer(fmt: str, root: str, item: str, rows: Any, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        data = rows if isinstance(rows, list) else [rows]
        if root == "discovery":
            body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(
                _element("discovery", rows), encoding="utf-8"
            )
        else:
            body = _xml(root, item, data)
        return HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(rows, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def _element(name: str, row: dict[str, Any]) -> ET.Element:
    node = ET.Element(name)
    _fill(node, row)
    return node


def _error(fmt: str, exc: Open311Error) -> HttpResponse:
    rows = [{"code": exc.status, "description": exc.description}]
    return _answer(fmt if fmt in FORMATS else "json", "errors", "error", rows, exc.status)


def _params(request: HttpRequest) -> dict[str, str]:
    """The query (GET) or the form body (POST), refused when too large or not UTF-8."""
    if request.method != "POST":
        return {k: str(v) for k, v in request.GET.items()}
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY:
        raise Open311Error(413, _("The request is larger than %(n)s bytes") % {"n": MAX_BODY})
    try:
        raw = request.body
    except RawPostDataException:  # multipart: already parsed by Django (within its limits)
        form = {k: str(v) for k, v in request.POST.items()}
        if any("\x00" in v for v in form.values()):
            raise Open311Error(400, _("The request body holds a NUL character")) from None
        form.update({k: str(v) for k, v in request.GET.items() if k not in form})
        return form
    if len(raw) > MAX_BODY:
        raise Open311Error(413, _("The request is larger than %(n)s bytes") % {"n": MAX_BODY})
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Open311Error(400, _("The request body is not UTF-8")) from None
    if "\x00" in text:
        raise Open311Error(400, _("The request body holds a NUL character"))
    out = dict(parse_qsl(text, keep_blank_values=True))
    out.update({k: str(v) for k, v in request.GET.items() if k not in out})
    return out


def jurisdiction() -> str:
    root = Division.objects.filter(parent__isnull=True).order_by("key").first()
    return root.code if root else ""


def _check_jurisdiction(params: dict[str, str]) -> None:
    given = params.get("jurisdiction_id", "").strip()
    if given and given != jurisdiction():
        raise Open311Error(404, _("Unknown jurisdiction_id: %(id)s") % {"id": given[:40]})


def _client(params: dict[str, str]) -> Open311Client:
    key = params.get("api_key", "").strip()
    if not key:
        raise Open311Error(403, _("An api_key is required"))
    client = Open311Client.objects.filter(key_digest=key_digest(key), active=True).first()
    if client is None:
        raise Open311Error(403, _("Invalid api_key"))
    return client


def _service(code: str) -> dict[str, Any]:
    label = str(HotlineCategory(code).label)
    return {
        "service_code": code,
        "service_name": label,
        "description": label,
        "metadata": True,
        "type": "realtime",
        "keywords": code,
        "group": str(_("Citizen requests")),
    }


def _definition(code: str) -> dict[str, Any]:
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": "happened_at",
                "datatype": "datetime",
                "required": False,
                "datatype_description": str(_("When it happened (ISO 8601); empty: now")),
                "order": 1,
                "description": str(_("When did it happen?")),
            }
        ],
    }


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _row(item: HotlineRequest) -> dict[str, Any]:
    """A request as the specification lists it (no caller's name or phone)."""
    notes = list(item.notes.all())
    return {
        "service_request_id": item.number,
        "status": "closed" if item.status in CLOSED else "open",
        "status_notes": notes[-1].text if notes else str(item.get_status_display()),
        "service_name": str(item.get_category_display()),
        "service_code": item.category,
        "description": item.text,
        "agency_responsible": item.department.name if item.department else "",
        "service_notice": "",
        "requested_datetime": _iso(item.happened_at),
        "updated_datetime": _iso(item.completed_at or item.dispatched_at or item.created_at),
        "expected_datetime": _iso(item.due_at),
        "address": item.place_text,
        "address_id": "",
        "zipcode": "",
        "lat": item.lat,
        "long": item.lon,
        "media_url": "",
    }


def _run(request: HttpRequest, fmt: str, handler: Any, *args: Any) -> HttpResponse:
    if fmt not in FORMATS:
        return _error("json", Open311Error(404, _("Unknown format: use .json or .xml")))
    try:
        return handler(request, fmt, *args)
    except Open311Error as exc:
        return _error(fmt, exc)


def discovery(request: HttpRequest, ext: str) -> HttpResponse:
    fmt = ext

    def handle(request: HttpRequest, fmt: str) -> HttpResponse:
        base = request.build_absolute_uri(reverse("open311:root"))
        return _answer(
            fmt,
            "discovery",
            "",
            {
                "changeset": "2026-12-08T00:00:00+08:00",
                "contact": str(_("The 12345 centre")),
                "key_service": str(_("Ask the 12345 centre for an API key")),
                "endpoints": [
                    {
                        "specification": "http://wiki.open311.org/GeoReport_v2",
                        "url": base.rstrip("/"),
                        "changeset": "2026-12-08T00:00:00+08:00",
                        "type": "production",
                        "formats": list(FORMATS.values()),
                    }
                ],
            },
        )

    return _run(request, fmt, handle)


def service_list(request: HttpRequest, ext: str) -> HttpResponse:
    fmt = ext

    def handle(request: HttpRequest, fmt: str) -> HttpResponse:
        _check_jurisdiction(_params(request))
        return _answer(fmt, "services", "service", [_service(c) for c in HotlineCategory.values])

    return _run(request, fmt, handle)


def service_definition(request: HttpRequest, code: str, ext: str) -> HttpResponse:
    fmt = ext

    def handle(request: HttpRequest, fmt: str) -> HttpResponse:
        _check_jurisdiction(_params(request))
        if code not in HotlineCategory.values:
            raise Open311Error(404, _("Unknown service_code: %(code)s") % {"code": code[:40]})
        definition = _definition(code)
        if fmt == "xml":
            body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(
                _element("service_definition", definition), encoding="utf-8"
            )
            return HttpResponse(body, content_type="text/xml; charset=utf-8")
        return JsonResponse(definition, json_dumps_params={"ensure_ascii": False})

    return _run(request, fmt, handle)


def _post(request: HttpRequest, fmt: str) -> HttpResponse:
    params = _params(request)
    _check_jurisdiction(params)
    client = _client(params)
    code = params.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("service_code is required"))
    if code not in HotlineCategory.values:
        raise Open311Error(404, _("Unknown service_code: %(code)s") % {"code": code[:40]})
    lat, lon = params.get("lat", "").strip(), params.get("long", "").strip()
    address = params.get("address_string", "").strip() or params.get("address_id", "").strip()
    if not address and not (lat and lon):
        raise Open311Error(400, _("A location is required: lat and long, or address_string"))
    try:
        latitude = float(lat) if lat else None
        longitude = float(lon) if lon else None
    except ValueError:
        raise Open311Error(400, _("lat and long must be numbers")) from None
    if (latitude is not None and not -90 <= latitude <= 90) or (
        longitude is not None and not -180 <= longitude <= 180
    ):
        raise Open311Error(400, _("lat and long are out of range"))
    happened = None
    raw_when = params.get("attribute[happened_at]", "").strip()
    if raw_when:
        try:
            happened = dt.datetime.fromisoformat(raw_when)
        except ValueError:
            raise Open311Error(400, _("attribute[happened_at] is not an ISO 8601 time")) from None
        if timezone.is_naive(happened):
            happened = timezone.make_aware(happened)
    name = " ".join(
        p for p in (params.get("last_name", "").strip(), params.get("first_name", "").strip()) if p
    )
    try:
        item = services.request_take(
            actor=services.SYSTEM,
            channel=HotlineChannel.OPEN311,
            text=params.get("description", ""),
            category=code,
            caller_name=name,
            caller_phone=params.get("phone", ""),
            place_text=address,
            happened_at=happened,
            lat=latitude,
            lon=longitude,
            client=client,
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise Open311Error(400, f"{field}: {' '.join(messages)}") from None
    rows = [
        {
            "service_request_id": item.number,
            "token": item.caller_token,
            "service_notice": "",
            "account_id": "",
        }
    ]
    return _answer(fmt, "service_requests", "request", rows)


def _get_list(request: HttpRequest, fmt: str) -> HttpResponse:
    params = _params(request)
    _check_jurisdiction(params)
    client = _client(params)
    qs = HotlineRequest.objects.filter(client=client).select_related("department")
    ids = [i.strip() for i in params.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        qs = qs.filter(number__in=ids[:LIST_LIMIT])
    else:
        codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
        if codes:
            unknown = [c for c in codes if c not in HotlineCategory.values]
            if unknown:
                raise Open311Error(404, _("Unknown service_code: %(code)s") % {"code": unknown[0]})
            qs = qs.filter(category__in=codes)
        for key, lookup in (("start_date", "happened_at__gte"), ("end_date", "happened_at__lte")):
            if params.get(key):
                try:
                    when = dt.datetime.fromisoformat(params[key])
                except ValueError:
                    raise Open311Error(
                        400, _("%(field)s is not an ISO 8601 time") % {"field": key}
                    ) from None
                if timezone.is_naive(when):
                    when = timezone.make_aware(when)
                qs = qs.filter(**{lookup: when})
        status = params.get("status", "").strip()
        if status == "open":
            qs = qs.exclude(status__in=CLOSED)
        elif status == "closed":
            qs = qs.filter(status__in=CLOSED)
        elif status:
            raise Open311Error(400, _("status must be open or closed"))
    rows = [_row(r) for r in qs.order_by("-happened_at").prefetch_related("notes")[:LIST_LIMIT]]
    return _answer(fmt, "service_requests", "request", rows)


@csrf_exempt
def requests_view(request: HttpRequest, ext: str) -> HttpResponse:
    fmt = ext
    if request.method == "POST":
        return _run(request, fmt, _post)
    if request.method in ("GET", "HEAD"):
        return _run(request, fmt, _get_list)
    return _error(fmt, Open311Error(405, _("Use GET or POST")))


def request_one(request: HttpRequest, number: str, ext: str) -> HttpResponse:
    fmt = ext

    def handle(request: HttpRequest, fmt: str) -> HttpResponse:
        params = _params(request)
        _check_jurisdiction(params)
        client = _client(params)
        item = (
            HotlineRequest.objects.filter(client=client, number=number)
            .select_related("department")
            .first()
        )
        if item is None:
            raise Open311Error(404, _("Unknown service_request_id: %(id)s") % {"id": number[:40]})
        return _answer(fmt, "service_requests", "request", [_row(item)])

    return _run(request, fmt, handle)


def token_view(request: HttpRequest, token: str, ext: str) -> HttpResponse:
    fmt = ext

    def handle(request: HttpRequest, fmt: str) -> HttpResponse:
        params = _params(request)
        _check_jurisdiction(params)
        client = _client(params)
        item = HotlineRequest.objects.filter(client=client, caller_token=token).first()
        if item is None:
            raise Open311Error(404, _("Unknown token"))
        rows = [{"service_request_id": item.number, "token": token}]
        return _answer(fmt, "service_requests", "request", rows)

    return _run(request, fmt, handle)


def root(request: HttpRequest) -> HttpResponse:
    return discovery(request, "json")
