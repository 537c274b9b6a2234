from django.urls import path

from assets import views

app_name = "assets"

urlpatterns = [
    path("", views.asset_list, name="asset_list"),
    path("new/", views.asset_create, name="asset_create"),
    path("<uuid:pk>/", views.asset_detail, name="asset_detail"),
    path("<uuid:pk>/edit/", views.asset_edit, name="asset_edit"),
    path("<uuid:pk>/delete/", views.asset_delete, name="asset_delete"),
    path("<uuid:pk>/interfaces/new/", views.interface_create, name="interface_create"),
    path("<uuid:pk>/interfaces/<uuid:interface_pk>/edit/", views.interface_edit, name="interface_edit"),
    path("<uuid:pk>/interfaces/<uuid:interface_pk>/delete/", views.interface_delete, name="interface_delete"),
    path("<uuid:pk>/seats/", views.seat_assign, name="seat_assign"),
    path("<uuid:pk>/seats/<uuid:seat_pk>/delete/", views.seat_remove, name="seat_remove"),
]
