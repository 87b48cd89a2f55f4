"""The REST API under /api/: OpenAPI at /api/openapi.json, interactive docs at /api/docs."""

import copy
import logging
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.core.signals import got_request_exception
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError as RequestInvalid
from ninja.security import HttpBearer, django_auth

from fangkong.accounts import api as accounts_api
from fangkong.accounts.services import token_for_raw
from fangkong.assistance.applications import api as assistance_api
from fangkong.care.admission import api as care_admission_api
from fangkong.care.dispatch import api as care_dispatch_api
from fangkong.care.facilities import api as care_facilities_api
from fangkong.care.lines import api as care_lines_api
from fangkong.care.medicine import api as care_medicine_api
from fangkong.care.plans import api as care_plans_api
from fangkong.care.requests import api as care_requests_api
from fangkong.care.routing import api as care_routing_api
from fangkong.command import api as command_api
from fangkong.command.situation import api as situation_api
from fangkong.core.apikit import MEDIA_TYPES
from fangkong.epi.cases import api as cases_api
from fangkong.epi.chains import api as chains_api
from fangkong.epi.checkins import api as checkins_api
from fangkong.epi.contacts import api as contacts_api
from fangkong.epi.finding import api as finding_api
from fangkong.healthcode import api as healthcode_api
from fangkong.hotline.dispatch import api as hotline_dispatch_api
from fangkong.hotline.requests import api as hotline_requests_api
from fangkong.lab.labs import api as labs_api
from fangkong.lab.pools import api as pools_api
from fangkong.lab.results import api as results_api
from fangkong.lab.riskposts import api as riskposts_api
from fangkong.lab.rounds import api as rounds_api
from fangkong.people import api as people_api
from fangkong.places import api as places_api
from fangkong.policy import api as policy_api
from fangkong.quarantine.allocation import api as allocation_api
from fangkong.quarantine.measures import api as measures_api
from fangkong.quarantine.sites import api as sites_api
from fangkong.supplies.enterprises import api as enterprises_api
from fangkong.supplies.orders import api as orders_api
from fangkong.supplies.passes import api as passes_api
from fangkong.supplies.prices import api as prices_api
from fangkong.travel import api as travel_api
from fangkong.zones import api as zones_api


class BearerToken(HttpBearer):
    """`Authorization: Bearer fk_…`; revoked, expired or unknown tokens authenticate no one.

    The token is kept on the request (`request.api_token`): some operations are for sessions
    only (a token cannot create tokens)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_for_raw(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class FangkongAPI(NinjaAPI):
    _documents: ClassVar[dict[tuple[str, str | None], Any]] = {}

    def get_openapi_operation_id(self, operation: Any) -> str:
        return str(operation.view_func.__name__)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        """The document, with responses named in an operation's MEDIA_TYPES under their type.

        Built once per path prefix and language (about a second of CPU each time, and
        /api/openapi.json is public), then copied for each caller."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, get_language())
        if key not in self._documents:
            schema = super().get_openapi_schema(path_prefix=path_prefix)
            for operations in schema["paths"].values():
                for operation in operations.values():
                    for status, media_type in operation.pop(MEDIA_TYPES, {}).items():
                        content = operation["responses"][status]["content"]
                        content[media_type] = content.pop(self.renderer.media_type)
            self._documents[key] = schema
        return copy.deepcopy(self._documents[key])


api = FangkongAPI(
    title="Fangkong API",
    version="1",
    description="Epidemic prevention and control: places, residents, households, key persons "
    "and their needs, within your jurisdiction. Authenticate with "
    "`Authorization: Bearer <token>` (create one at /tokens/ or POST /api/tokens from a "
    "logged-in browser session: a token cannot create tokens), or with your browser session "
    "(verified by two-factor where the role needs it; unsafe methods need the CSRF token). "
    "ID numbers and phones are masked unless revealed; every reveal is logged.",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
)


def _field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    where = getattr(exc, "location", "body")
    if hasattr(exc, "error_dict"):
        return [
            {"loc": [where, field], "msg": " ".join(str(m) for e in errs for m in e.messages)}
            for field, errs in exc.error_dict.items()
        ]
    return [{"loc": [where], "msg": " ".join(str(m) for m in exc.messages)}]


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": _field_errors(exc)}, status=422)


def _flat_loc(loc: list[Any]) -> list[Any]:
    """["body", "payload", "name"] → ["body", "name"]: the same shape services' errors have."""
    if len(loc) > 2 and loc[0] == "body" and loc[1] == "payload":
        return ["body", *loc[2:]]
    return list(loc)


@api.exception_handler(RequestInvalid)
def on_request_invalid(request: HttpRequest, exc: RequestInvalid) -> HttpResponse:
    detail = [{**e, "loc": _flat_loc(list(e.get("loc", [])))} for e in exc.errors]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(UnicodeDecodeError)
def on_unreadable_file(request: HttpRequest, exc: UnicodeDecodeError) -> HttpResponse:
    """A safety net for uploads: bodies are decoded by the parsers, so this is the file."""
    message = _("This file cannot be read as text: it may be cut short or in another encoding")
    return api.create_response(
        request, {"detail": [{"loc": ["body", "file"], "msg": message}]}, status=422
    )


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": _("Permission denied")}, status=403)


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Anything unforeseen answers a short JSON body, never a traceback (django-ninja's default
    shows one with DEBUG on); the traceback goes to the log as for Django's own 500s."""
    if isinstance(exc, SuspiciousOperation):  # as Django answers it: 400, logged as security
        logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
        return api.create_response(request, {"detail": _("Bad request")}, status=400)
    got_request_exception.send(sender=None, request=request)  # error reporters, the test client
    logging.getLogger("django.request").error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    return api.create_response(request, {"detail": _("Internal server error")}, status=500)


# Mounted in this order (the OpenAPI document lists the operations in it).
ROUTERS = [
    ("/", accounts_api.router),
    ("/", places_api.router),
    ("/", people_api.router),
    ("/policy", policy_api.router),
    ("/", cases_api.router),
    ("/", contacts_api.router),
    ("/", checkins_api.router),
    ("/", finding_api.router),
    ("/", chains_api.router),
    ("/", healthcode_api.router),
    ("/", rounds_api.router),
    ("/", pools_api.router),
    ("/", riskposts_api.router),
    ("/", results_api.router),
    ("/", labs_api.router),
    ("/", sites_api.router),
    ("/", allocation_api.router),
    ("/", measures_api.router),
    ("/", travel_api.router),
    ("/", zones_api.router),
    ("/", enterprises_api.router),
    ("/", passes_api.router),
    ("/", prices_api.router),
    ("/", orders_api.router),
    ("/", care_facilities_api.router),
    ("/", care_routing_api.router),
    ("/", care_requests_api.router),
    ("/", care_plans_api.router),
    ("/", care_medicine_api.router),
    ("/", care_lines_api.router),
    ("/", care_dispatch_api.router),
    ("/", care_admission_api.router),
    ("/", assistance_api.router),
    ("/", hotline_requests_api.router),
    ("/", hotline_dispatch_api.router),
    ("/command", command_api.router),
    ("/", situation_api.router),
]
for prefix, router in ROUTERS:
    api.add_router(prefix, router)
