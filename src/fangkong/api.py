"""The REST API under /api/: OpenAPI at /api/openapi.json, interactive docs at /api/docs."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from fangkong.accounts.services import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Fangkong API",
    version="1",
    description="Epidemic prevention and control: registry, places, key persons. "
    "Authenticate with `Authorization: Bearer <token>` (create one at /tokens/).",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
)


def _field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {"loc": ["body", field], "msg": " ".join(str(m) for e in errs for m in e.messages)}
            for field, errs in exc.error_dict.items()
        ]
    return [{"loc": ["body"], "msg": " ".join(str(m) for m in exc.messages)}]


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": _field_errors(exc)}, status=422)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": "permission denied"}, status=403)


def _register() -> None:
    from fangkong.people.api import router as people_router
    from fangkong.places.api import router as places_router

    api.add_router("/places", places_router)
    api.add_router("/", people_router)


_register()
