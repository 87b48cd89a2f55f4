"""Routes of the measures, test days, daily checks, alerts, transfers and release (namespace
"quarantine", included by quarantine/urls.py)."""

from django.urls import path

from fangkong.quarantine.measures import views as v

urlpatterns = [
    path("measures/", v.measure_list, name="measures"),
    path("measures/new/", v.measure_new, name="measure_new"),
    path("measures/end/", v.measures_end, name="measures_end"),
    path("sites/<int:pk>/stays/check-out/", v.site_stays_check_out, name="site_stays_check_out"),
    path("measures/<int:pk>/", v.measure_detail, name="measure"),
    path("measures/<int:pk>/close/", v.measure_close, name="measure_close"),
    path("measures/<int:pk>/checkin/", v.measure_checkin, name="measure_checkin"),
    path("measures/<int:pk>/release/", v.measure_release, name="measure_release"),
    path("measures/<int:pk>/site-release/", v.measure_site_release, name="measure_site_release"),
    path("measures/<int:pk>/certificate.pdf", v.measure_certificate, name="certificate"),
    path("measures/<int:pk>/transfer/", v.transfer_new, name="transfer_new"),
    path("tasks/", v.test_tasks, name="tasks"),
    path("tests/<int:pk>/sampled/", v.test_sampled, name="test_sampled"),
    path("checks/", v.checks_floor, name="checks"),
    path("checks/home/", v.checks_home, name="checks_home"),
    path("alerts/", v.alert_list, name="alerts"),
    path("alerts/<int:pk>/handle/", v.alert_handle, name="alert_handle"),
    path("transfers/", v.transfer_list, name="transfers"),
    path("transfers/<int:pk>/depart/", v.transfer_depart, name="transfer_depart"),
    path("transfers/<int:pk>/hand-over/", v.transfer_hand_over, name="transfer_hand_over"),
    path("transfers/<int:pk>/cancel/", v.transfer_cancel, name="transfer_cancel"),
]
