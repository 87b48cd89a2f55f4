from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fangkong.people.models import KeyCategory
from fangkong.people.selectors import registry_figures
from fangkong.places.models import Level


@login_required
def home(request: HttpRequest) -> HttpResponse:
    figures = registry_figures(request.user)
    categories = [(c.label, figures["key_persons"].get(c.value, 0)) for c in KeyCategory]
    levels = [(lv.label, figures["divisions"].get(lv.value, 0)) for lv in Level]
    return render(
        request,
        "web/home.html",
        {"figures": figures, "categories": categories, "levels": levels, "section": "home"},
    )
