from django.urls import path

from integrations.unifi import views

app_name = "unifi"

WLAN = "clients/<uuid:client_id>/unifi/<uuid:site_pk>/wifi/<str:wlan_id>"

urlpatterns = [
    path("clients/<uuid:client_id>/unifi/", views.client_unifi, name="client_unifi"),
    path(f"{WLAN}/edit/", views.wlan_edit, name="wlan_edit"),
    path(f"{WLAN}/ppsk/new/", views.ppsk_create, name="ppsk_create"),
    path(f"{WLAN}/passphrase/", views.passphrase, name="passphrase"),
]
