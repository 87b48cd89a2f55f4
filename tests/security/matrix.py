"""The machinery of the scope matrix: requests, what they answered, and what is wrong with it.

`attempts()` turns a route into requests for one user in one mode: "inside" (the path and
body name objects inside the caller's jurisdiction), "outside" (both name objects of the other
district) or "mixed" (an object of the caller's own named together with outside ones, e.g. a
contact for a stranger added to one's own case). `send()` runs a request in a savepoint rolled
back afterwards, notes the tables it wrote and compares the outside district's rows when it
wrote any. `problems_of()` says what is wrong with an answer.
"""

import copy
import datetime as dt
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.utils import timezone

from fangkong.accounts.models import ApiToken
from fangkong.core.roles import ROLE_CAPS
from fangkong.epi.models import CheckIn
from fangkong.lab.models import Lab, Result
from fangkong.places.models import Division
from fangkong.quarantine.models import Site
from tests.security import routes as r
from tests.security.scenario import Side, World

DENIED = {401, 403, 404, 405}
MODES = ("inside", "outside", "mixed")
GLOBAL_KINDS = {
    "policy",
    "policy_activation",
    "supply_product",
}  # the same on both sides: not scoped by place
PER_USER_KINDS = {"api_token", "rejected_rows"}  # inside: the caller's own; outside: another's
PERSON_KINDS = {"resident", "person", "traveller", "planned"}  # as a string: the ID number
STR_FORM = {  # a kind's usual string reference (else its pk)
    "division": "code",
    "community": "code",
    "street": "code",
    "unit": "code",
    "building2": "code",
    "household": "code",
    "case": "number",
    "site": "code",
    "lab": "code",
    "venue": "code",
    "quarantine_site": "code",
    "tube": "barcode",
    "pool": "barcode",
    "full_tube": "barcode",
    "sent_tube": "barcode",
    "staff": "username",
    "staff2": "username",
    "lab_staff2": "username",
}
WRITE_SQL = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)
COPY_SQL = re.compile(r'^\s*COPY\s+"?(\w+)"?', re.IGNORECASE)
QUIET_TABLES = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}
IGNORED_COLUMNS = {"computed_at", "last_used_at"}

TOTALS: Counter[str] = Counter()
SUMMARY: list[str] = []  # printed at the end of the run (tests/security/conftest.py)


@dataclass
class Env:
    world: World
    clients: dict[str, Client]  # by user name ("command", …, "nobody", "anonymous")
    baseline: dict[str, Any]  # the outside district's rows before any request
    digests: dict[str, str] = field(default_factory=dict)  # ... their digests (PostgreSQL)

    def user(self, name: str) -> Any:
        if name == "anonymous":
            return None
        if name == "nobody":
            return self.world.nobody
        return self.world.personas[name]


# What "changed outside" means -----------------------------------------------------------------


def _outside_rows(world: World) -> dict[str, Callable[[], Any]]:
    """Database table → its rows that belong to the outside district."""
    key = world.outside.district.key
    out: dict[str, Callable[[], Any]] = {}
    for model in apps.get_models():
        if any(f.name == "division_key" for f in model._meta.get_fields()):
            out[model._meta.db_table] = lambda m=model: m.objects.filter(
                division_key__startswith=key
            )
    out[Division._meta.db_table] = lambda: Division.objects.filter(key__startswith=key)
    people = list(world.outside.objs["people"])
    out[CheckIn._meta.db_table] = lambda: CheckIn.objects.filter(person_id__in=people)
    tubes = [world.outside.objs[k].barcode for k in ("tube", "pool", "full_tube", "sent_tube")]
    out[Result._meta.db_table] = lambda: Result.objects.filter(tube_id__in=tubes)
    staff = Site.staff.through
    out[staff._meta.db_table] = lambda: staff.objects.filter(site__division_key__startswith=key)
    lab_staff = Lab.staff.through
    out[lab_staff._meta.db_table] = lambda: lab_staff.objects.filter(
        lab__division_key__startswith=key
    )
    owner = world.outside.owner
    out[ApiToken._meta.db_table] = lambda: ApiToken.objects.filter(user=owner)
    return out


def fingerprint(world: World, tables: list[str] | None = None) -> dict[str, Any]:
    """The outside district's rows, by table (only `tables` if given)."""
    return {
        table: [
            {k: v for k, v in row.items() if k not in IGNORED_COLUMNS}
            for row in query().order_by("pk").values()
        ]
        for table, query in _outside_rows(world).items()
        if tables is None or table in tables
    }


def digests(world: World, tables: list[str] | None = None) -> dict[str, str]:
    """A digest of the outside district's rows by table, computed by PostgreSQL in one query
    (comparing digests spares bringing every outside row over after each write); empty on
    another database, where `changed_outside` compares the rows themselves."""
    if connection.vendor != "postgresql":
        return {}
    parts, params = [], []
    for table, query in _outside_rows(world).items():
        if tables is not None and table not in tables:
            continue
        qs = query()
        columns = [
            f.attname for f in qs.model._meta.concrete_fields if f.column not in IGNORED_COLUMNS
        ]
        sql, args = qs.order_by().values_list(*columns).query.sql_with_params()
        parts.append(
            "SELECT %s, md5(coalesce(string_agg(s::text, '|' ORDER BY s::text), '')) "
            f"FROM ({sql}) s"
        )
        params += [table, *args]
    if not parts:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return dict(cursor.fetchall())


def changed_outside(env: Env, tables: list[str] | None) -> list[str]:
    if env.digests:
        now = digests(env.world, tables)
        tables = [table for table, digest in now.items() if digest != env.digests[table]]
        if not tables:
            return []
    out = []
    for table, rows in fingerprint(env.world, tables).items():
        before = env.baseline.get(table, [])
        if rows != before:
            added = [row for row in rows if row not in before]
            gone = [row for row in before if row not in rows]
            out.append(f"{table}: +{_brief(added)} -{_brief(gone)}")
    return out


def _brief(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows[:2], default=str, ensure_ascii=False)[:300]


# Requests -------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    location: str = ""
    text: str = ""  # the body as text (JSON unescaped, XLSX cells, PDF's HTML), with headers
    data: Any = None  # the JSON body, parsed
    wrote: list[str] = field(default_factory=list)  # tables written
    changed: list[str] = field(default_factory=list)  # outside rows that changed
    error: str = ""  # an exception the view raised (a 500)

    @property
    def to_login(self) -> bool:
        return self.status == 302 and self.location.startswith(resolve_url(settings.LOGIN_URL))

    @property
    def denied(self) -> bool:
        return self.status in DENIED or self.to_login

    @property
    def schema_refusal(self) -> bool:
        """422 from the API's schema validation, before the handler ran (nothing looked up)."""
        if self.status != 422:
            return False
        detail = self.data.get("detail") if isinstance(self.data, dict) else None
        return isinstance(detail, list) and bool(detail) and all("type" in d for d in detail)


def send(env: Env, user: str, method: str, path: str, **kw: Any) -> Answer:
    client = env.clients[user]
    cookies = copy.deepcopy(client.cookies)  # after logout or set_language, as before
    TOTALS["requests"] += 1
    try:
        return _send(env, client, method, path, **kw)
    finally:
        client.cookies = cookies


def _send(env: Env, client: Client, method: str, path: str, **kw: Any) -> Answer:
    written: set[str] = set()

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if (m := WRITE_SQL.match(sql)) and m.group(2) not in QUIET_TABLES:
            written.add(m.group(2))
        return execute(sql, params, many, context)

    with transaction.atomic():
        try:
            with (
                transaction.atomic(),
                connection.execute_wrapper(watch),
                _watching_copy(written),
            ):
                response = _call(client, method, path, **kw)
        except Exception as exc:  # a 500: recorded as a problem
            transaction.set_rollback(True)
            return Answer(500, error=f"{type(exc).__name__}: {exc}"[:300])
        wrote = sorted(written)
        answer = Answer(
            response.status_code,
            location=response.get("Location", ""),
            text=_text(response),
            data=_json(response),
            wrote=wrote,
            changed=_changes(env, method, response.status_code, wrote),
        )
        transaction.set_rollback(True)
    return answer


@contextmanager
def _watching_copy(written: set[str]) -> Iterator[None]:
    """A COPY (PostgreSQL's bulk load, e.g. lab results) does not pass Django's execute wrappers:
    the psycopg cursor's `copy()` notes its table too."""
    real = psycopg.Cursor.copy

    def copy(self: psycopg.Cursor[Any], statement: Any, *args: Any, **kwargs: Any) -> Any:
        if m := COPY_SQL.match(str(statement)):
            written.add(m.group(1))
        return real(self, statement, *args, **kwargs)

    psycopg.Cursor.copy = copy  # type: ignore[method-assign]
    try:
        yield
    finally:
        psycopg.Cursor.copy = real  # type: ignore[method-assign]


def _changes(env: Env, method: str, status: int, wrote: list[str]) -> list[str]:
    """Outside rows that changed in the tables written (statements and COPY); after a write that
    went through without a statement seen, in every table."""
    if wrote:
        return changed_outside(env, wrote)
    if method != "GET" and status < 400:
        return changed_outside(env, None)
    return []


def _call(client: Client, method: str, path: str, **kw: Any) -> Any:
    query = kw.get("query") or {}
    if method == "GET":
        return client.get(path, query)
    if "files" in kw:
        return client.post(path, kw["files"])
    if "form" in kw:
        return client.post(path, kw["form"])
    body = json.dumps(kw.get("json")) if kw.get("json") is not None else ""
    if query:
        path = f"{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}"
    return client.generic(method, path, body, content_type=kw.get("ctype") or "application/json")


def _text(response: Any) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    ctype = response.get("Content-Type", "")
    parts = [response.get("Location", ""), response.get("Content-Disposition", "")]
    if "spreadsheetml" in ctype:
        parts.append(_xlsx_text(raw))
    elif "json" in ctype:
        try:
            parts.append(json.dumps(json.loads(raw), ensure_ascii=False))
        except ValueError:
            parts.append(raw.decode("utf-8", "replace"))
    else:
        parts.append(raw.decode("utf-8-sig", "replace"))
    return "\n".join(parts)


def _json(response: Any) -> Any:
    if response.streaming or "json" not in response.get("Content-Type", ""):
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _xlsx_text(raw: bytes) -> str:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
    return "\n".join(
        " ".join("" if v is None else str(v) for v in row)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


# Filling a route -------------------------------------------------------------------------------


def resolver(env: Env, side: Side, user: Any) -> Callable[[r.Spec], Any]:
    """(kind, form) → the side's object of that kind in that form, for this user."""
    world = env.world

    def resolve(spec: r.Spec) -> Any:
        kind, form = spec
        if kind in PER_USER_KINDS:
            own = side.name == "inside" and user is not None
            owner = user if own else world.outside.owner
            return world.tokens[owner.pk].pk if kind == "api_token" else world.rejected[owner.pk]
        obj = side.objs[kind]
        if form == "str":
            form = "id_number" if kind in PERSON_KINDS else STR_FORM.get(kind, "pk")
        if form == "token":
            return obj.verify_token
        return getattr(obj, form)

    return resolve


@dataclass
class Attempt:
    mode: str  # "inside", "outside" or "mixed"
    method: str
    path: str
    kwargs: dict[str, Any]
    in_path: bool  # the path names an object (of the inside side in "mixed")
    in_body: bool = False  # the body or query names an object (of the outside side in "mixed")

    @property
    def key(self) -> str:
        """The request itself: the same in two modes is sent once."""
        return f"{self.method} {self.path} {self.sent}"

    @property
    def sent(self) -> str:
        """Everything the request carries: a marker echoed back is not a leak."""
        files = []
        for value in [
            *self.kwargs.get("files", {}).values(),
            *self.kwargs.get("form", {}).values(),
        ]:
            if hasattr(value, "read"):
                value.seek(0)
                files.append(value.read().decode(errors="replace"))
                value.seek(0)
        return json.dumps([self.path, self.kwargs, files], default=str, ensure_ascii=False)


def attempts(env: Env, route: r.Route, mode: str, user: Any) -> list[Attempt]:
    """The requests of a route for one user, the path and body naming the sides `mode` says.

    "mixed": the path names the caller's own object and the body outside ones; with no object
    in the path, the body names the caller's own place of work (`OWN_KINDS`: their lab,
    sampling site, round …) together with outside people, tubes and places."""
    world = env.world
    path_side = world.outside if mode == "outside" else world.inside
    at_path = resolver(env, path_side, user)
    named: list[str] = []  # the outside kinds a body named (mixed)
    if mode == "mixed":
        inside, outside = resolver(env, world.inside, user), resolver(env, world.outside, user)

        def at_body(spec: r.Spec) -> Any:
            if spec[0] in r.OWN_KINDS:
                return inside(spec)
            named.append(spec[0])
            return outside(spec)
    else:
        at_body = resolver(env, world.inside if mode == "inside" else world.outside, user)
    out = []
    for values in r.path_values(route, at_path):
        named.clear()
        path = r.build_path(route, values)
        in_path = any(
            (spec := r.spec_for(route, p)) is not None
            and spec[0] not in GLOBAL_KINDS
            and not (spec[0] in PER_USER_KINDS and path_side.name == "inside")
            for p in route.params
        )
        made = (_api_attempts if route.kind == "api" else _page_attempts)(
            route, mode, path, in_path, at_body
        )
        if mode == "mixed":  # only requests that named something outside
            made = [a for a in made if named]
            for a in made:
                a.in_body = a.in_body and bool(named)
        out += made
    return out


def _api_attempts(
    route: r.Route, mode: str, path: str, in_path: bool, at_body: Callable[[r.Spec], Any]
) -> list[Attempt]:
    method = route.methods[0]
    query = r.query_for(route, at_body)
    if method == "GET":
        if mode == "mixed" and not (in_path and query):
            return []
        return [Attempt(mode, method, path, {"query": query}, in_path, bool(query))]
    ctype, body, in_body = r.request_body(route, at_body)
    if mode == "mixed" and not (in_body or query):
        return []  # nothing outside to name
    kwargs: dict[str, Any] = {"query": query}
    if ctype == "multipart/form-data":
        kwargs["files"] = upload_for(route.name, at_body)
    elif ctype:
        kwargs.update(json=body, ctype=ctype)
    return [Attempt(mode, method, path, kwargs, in_path, in_body or bool(query))]


def _page_attempts(
    route: r.Route, mode: str, path: str, in_path: bool, at_body: Callable[[r.Spec], Any]
) -> list[Attempt]:
    out = []
    if mode != "mixed":
        out.append(Attempt(mode, "GET", path, {"query": r.page_query(at_body)}, in_path))
    named = in_path or route.name in r.PAGE_FORMS or route.name in r.PAGE_UPLOADS
    if "POST" in route.methods and (mode != "mixed" or named):
        form: dict[str, Any] = r.page_body(route, at_body)
        if route.name in r.PAGE_UPLOADS:
            form["file"] = upload_for(r.PAGE_UPLOADS[route.name], at_body)["file"]
        out.append(Attempt(mode, "POST", path, {"form": form}, in_path, True))
    return out


def upload_for(op: str, resolve: Callable[[r.Spec], Any]) -> dict[str, Any]:
    """The files an upload takes, naming the people, venues and tubes `resolve` gives."""
    now = timezone.localtime()
    if op == "residents_import":
        unit = resolve(("unit", "code"))
        text = f"身份证号,姓名,手机号,单元编码\n{r.NEW_ID},矩阵新人,13800000001,{unit}\n"
        return {"file": _file("residents.csv", text)}
    if op == "checkins_import":
        came, left = now - dt.timedelta(hours=3), now - dt.timedelta(hours=2)
        text = (
            "身份证号,场所码,进入时间,离开时间\n"
            f"{resolve(('person', 'id_number'))},{resolve(('venue', 'code'))},"
            f"{came:%Y-%m-%d %H:%M},{left:%Y-%m-%d %H:%M}\n"
        )
        return {"file": _file("checkins.csv", text)}
    if op == "results_upload":
        barcode = resolve(("sent_tube", "barcode"))
        text = f"试管编码,检测结果,Ct值,检测时间\n{barcode},阴性,,{now:%Y-%m-%d %H:%M}\n"
        return {"lab": resolve(("lab", "code")), "file": _file("results.csv", text)}
    if op == "price_report_upload":
        store = resolve(("price_store", "pk"))
        text = f"监测点,品种,日期,价格,库存\n{store},猪肉,{now:%Y-%m-%d},21,900\n"
        return {"file": _file("prices.csv", text)}
    if op in ("policy_document", "policy_profile_upload"):
        text = (
            "code: matrix-policy\nname_zh: 矩阵方案\nname_en: Matrix\nissued_by: 矩阵\n"
            "published_on: '2022-11-11'\nsource: 矩阵\nrules: {}\n"
        )
        return {"file": _file("policy.yaml", text)}
    if op == "supply_order_deliver_photo":
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
        photo = SimpleUploadedFile("door.png", png, content_type="image/png")
        return {"volunteer": "矩阵志愿者", "photo": photo}
    if op in ("assistance_document", "assistance_document_add", "my_assistance_document"):
        scan = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        return {"kind": "work_record", "file": scan}
    raise AssertionError(f"{op}: say in tests/security/matrix.py upload_for() what file it takes")


def _file(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


# Judging an answer ----------------------------------------------------------------------------


def _pii(side: Side) -> dict[str, str]:
    """Full ID numbers and phones: shown masked, unless revealing them is the route's purpose."""
    return {
        m: what
        for m, what in side.markers.items()
        if what.startswith(("ID number", "phone", "appeal phone"))
    }


def problems_of(env: Env, route: r.Route, user: str, attempt: Attempt, a: Answer) -> list[str]:
    """What is wrong with the answer `user` got: leaks, changes outside, missing refusals."""
    where = f"{user} {attempt.mode} {attempt.method} {attempt.path}"
    if a.error:
        return [f"{where}: server error {a.error}"]
    out = [f"{where}: HTTP {a.status}"] if a.status >= 500 else []
    if route.name not in r.CHANGES_ALLOWED:
        out += [f"{where}: changed outside objects: {change}" for change in a.changed]
    out += _shown(env, route, user, attempt, a, where)
    if route.public:
        return out
    if user == "anonymous":
        if route.kind == "api" and a.status != 401:
            out.append(f"{where}: anonymous got HTTP {a.status}, not 401")
        if route.kind != "api" and not a.to_login:
            out.append(f"{where}: anonymous got HTTP {a.status}, not the login page")
        return out
    refused = a.denied or a.schema_refusal
    no_caps = user != "nobody" and not ROLE_CAPS.get(user)
    if no_caps and route.name not in r.ANY_USER and not refused:
        out.append(f"{where}: a role with no capability got HTTP {a.status}")
    if user == "nobody" and attempt.mode == "inside" and route.name in r.ANY_USER:
        return out  # the user's own tokens: they have them too
    path_outside = attempt.mode == "outside" or user == "nobody"
    body_outside = attempt.mode != "inside" or user == "nobody"
    if attempt.in_path and path_outside and not refused:
        out.append(f"{where}: HTTP {a.status} for an object outside the jurisdiction")
    elif (
        route.kind == "api"
        and attempt.method != "GET"
        and attempt.in_body
        and body_outside
        and 200 <= a.status < 300
        and route.name not in r.ANSWERED_NOT_ACCEPTED
    ):
        out.append(f"{where}: HTTP {a.status}: accepted an object outside the jurisdiction")
    return out


def _shown(
    env: Env, route: r.Route, user: str, attempt: Attempt, a: Answer, where: str
) -> list[str]:
    """Markers in the body that the user must not see (and did not send themselves)."""
    world = env.world
    if route.public:
        markers = {**_pii(world.outside), **(_pii(world.inside) if user == "anonymous" else {})}
    elif user in ("nobody", "anonymous"):
        markers = {**world.inside.markers, **world.outside.markers}
    elif route.name in r.REVEALS:
        markers = world.outside.markers
    else:
        markers = {**world.outside.markers, **_pii(world.inside)}
    TOTALS["searched"] += 1
    sent = attempt.sent
    hits = sorted(f"{m} ({what})" for m, what in markers.items() if m in a.text and m not in sent)
    return [f"{where}: HTTP {a.status} shows {', '.join(hits[:6])}"] if hits else []


def effective(attempt: Attempt, a: Answer) -> bool:
    """The inside request did its job: a read answered, a write wrote."""
    if attempt.method == "GET":
        return a.status == 200
    return bool(a.wrote) and a.status < 400
