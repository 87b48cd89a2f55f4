from django.urls import path

from fangkong.care.plans import views

urlpatterns = [
    path("plans/", views.plan_list, name="plans"),
    path("plans/due/", views.plan_due, name="plans_due"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/needs/<int:pk>/", views.need_edit, name="need"),
]
