"""Routes of price monitoring (namespace "supplies")."""

from django.urls import path

from fangkong.supplies.prices import views

urlpatterns = [
    path("prices/", views.board, name="prices"),
    path("prices/report/", views.report, name="price_report"),
    path("prices/import/", views.report_import, name="price_import"),
    path("prices/stores/", views.stores, name="price_stores"),
    path("prices/alerts/", views.alerts, name="price_alerts"),
    path("prices/alerts/<int:pk>/status/", views.alert_status, name="price_alert_status"),
    path("prices/catalogue/", views.catalogue, name="price_catalogue"),
]
