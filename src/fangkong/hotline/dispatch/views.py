"""Pages of the departments requests are dispatched to: the registry and registering one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fangkong.accounts.models import User
from fangkong.core.access import Cap, can, require
from fangkong.core.pages import apply_errors
from fangkong.core.words import listing
from fangkong.hotline.dispatch import selectors, services
from fangkong.hotline.dispatch.forms import DepartmentForm
from fangkong.hotline.models import DepartmentKind, HotlineCategory
from fangkong.hotline.words import within_words
from fangkong.policy.accessor import current


@login_required
def departments(request: HttpRequest) -> HttpResponse:
    rows = selectors.departments_for_user(request.user).select_related("division")
    form = DepartmentForm(request.POST or None, user=request.user)
    if request.method == "POST":
        require(request.user, Cap.HOTLINE_MANAGE)
        if form.is_valid():
            data = form.cleaned_data
            names = [n.strip() for n in data["staff"].split(",") if n.strip()]
            staff = list(User.objects.filter(username__in=names))
            try:
                if len(staff) != len(set(names)):
                    known = {u.username for u in staff}
                    raise ValidationError(
                        {
                            "staff": _("No such user: %(names)s")
                            % {"names": ", ".join(n for n in names if n not in known)}
                        }
                    )
                services.department_register(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                    division=data["division"],
                    phone=data["phone"],
                    staff=staff,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Department registered."))
                return redirect("hotline:departments")
    return render(
        request,
        "hotline/departments.html",
        {
            "rows": rows,
            "form": form,
            "can_manage": can(request.user, Cap.HOTLINE_MANAGE),
            "routes": [
                (
                    listing(str(HotlineCategory(c).label) for c in r.categories),
                    DepartmentKind(r.department).label,
                    within_words(r.sla_minutes),
                )
                for r in current().rules.hotline.routes
            ],
            "section": "hotline_departments",
        },
    )
