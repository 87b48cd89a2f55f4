"""Routes of the chain pages (included by epi/urls.py under the "epi" namespace)."""

from django.urls import path

from fangkong.epi.chains import views

urlpatterns = [
    path("chains/", views.chains, name="chains"),
    path("chains/<int:case_id>/", views.chain, name="chain"),
]
