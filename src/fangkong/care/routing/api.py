"""REST endpoint of the routing table in force (/api/care/routing). It is the `care` section of
the policy profile: change it through the policy API (drafts, versions, activation)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from fangkong.care.routing import selectors
from fangkong.care.routing.schemas import RoutingOut
from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS

router = Router(tags=["medical care"])


@router.get(
    "/care/routing", response={200: RoutingOut, **ERRORS}, summary="The routing table in force"
)
def care_routing(request: HttpRequest) -> dict[str, Any]:
    require(request.user, Cap.CARE_VIEW)
    policy = selectors.in_force()
    return {
        "profile_code": policy.profile.code,
        "profile_version": policy.profile.version,
        "routes": [
            {
                "number": i + 1,
                **route.model_dump(),
                "words": selectors.rule_words(i + 1, route),
            }
            for i, route in enumerate(policy.rules.care.routes)
        ],
    }
