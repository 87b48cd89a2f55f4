"""Routes of the orders into sealed compounds (namespace "supplies"; the resident's own page:
"supplies_public")."""

from django.urls import path

from fangkong.supplies.orders import views

urlpatterns = [
    path("orders/", views.order_list, name="orders"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/totals/", views.order_totals, name="order_totals"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/deliver/", views.order_deliver, name="order_deliver"),
    path("orders/<int:pk>/photo/", views.order_photo, name="order_photo"),
    path("orders/<int:pk>/problem/", views.order_problem, name="order_problem"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("order-batches/", views.batch_list, name="batches"),
    path("order-batches/run/", views.batch_run, name="batch_run"),
    path("order-batches/<int:pk>/", views.batch_detail, name="batch"),
    path("receiving-points/", views.point_list, name="points"),
    path("receiving-points/<int:pk>/", views.point_detail, name="point"),
    path("supply-products/", views.product_list, name="products"),
]

public_urlpatterns = [
    path("my-orders/", views.my_orders, name="my_orders"),
]
