from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.accounts.models import ApiToken
from fangkong.accounts.services import token_create, token_revoke


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    raw = None
    if request.method == "POST":
        days = request.POST.get("valid_days") or ""
        _token, raw = token_create(
            user=request.user,  # type: ignore[arg-type]
            name=request.POST.get("name", ""),
            valid_days=int(days) if days.isdigit() and int(days) > 0 else None,
        )
        messages.success(request, _("Token created. Copy it now: it will not be shown again."))
    rows = ApiToken.objects.filter(user_id=request.user.pk or 0)
    return render(
        request, "accounts/tokens.html", {"tokens": rows, "raw": raw, "section": "tokens"}
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("tokens")
