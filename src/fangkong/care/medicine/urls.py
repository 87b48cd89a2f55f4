from django.urls import path

from fangkong.care.medicine import views

urlpatterns = [
    path("medicine/", views.medicine_home, name="medicine"),
    path("medicine/batch/", views.medicine_batch, name="medicine_batch"),
    path("medicine/orders/<int:pk>/", views.order_detail, name="medicine_order"),
]

# The resident's own (no login: signed in on /my-care/ by ID number and phone).
public_urlpatterns = [
    path("my-care/medicine/", views.my_medicine, name="my_medicine"),
    path(
        "my-care/medicine/<int:pk>/answer/",
        views.my_substitute_answer,
        name="my_substitute_answer",
    ),
]
