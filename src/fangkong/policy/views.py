from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.access import Cap, require
from fangkong.policy.compare import comparison
from fangkong.policy.models import PolicyProfile
from fangkong.policy.schema import Rules
from fangkong.policy.services import may_activate, profile_activate


@login_required
def profiles(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.POLICY_VIEW)
    items = list(PolicyProfile.objects.all())
    rows = comparison([Rules.model_validate(p.rules) for p in items])
    return render(
        request,
        "policy/profiles.html",
        {
            "profiles": items,
            "rows": rows,
            "can_manage": may_activate(request.user),
            "section": "policy",
        },
    )


@login_required
@require_POST
def activate(request: HttpRequest, pk: int) -> HttpResponse:
    if not may_activate(request.user):
        raise PermissionDenied
    profile = get_object_or_404(PolicyProfile, pk=pk)
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("Say why the active policy profile changes."))
        return redirect("policy:profiles")
    profile_activate(profile=profile, actor=request.user, reason=reason)
    messages.success(request, _("Active policy profile: %(name)s") % {"name": profile.name})
    return redirect("policy:profiles")
