from django.urls import path

from fangkong.care.medicine import views

urlpatterns = [
    path("medicine/", views.medicine_home, name="medicine"),
    path("medicine/batch/", views.medicine_batch, name="medicine_batch"),
    path("medicine/orders/<int:pk>/", views.order_detail, name="medicine_order"),
]
