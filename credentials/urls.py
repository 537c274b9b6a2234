from django.urls import path

from credentials import views

app_name = "credentials"

urlpatterns = [
    path("", views.credential_list, name="credential_list"),
    path("new/", views.credential_create, name="credential_create"),
    path("deleted/", views.credential_trash, name="credential_trash"),
    path("clients/<uuid:client_id>/", views.client_credentials, name="client_credentials"),
    path("types/", views.type_list, name="type_list"),
    path("types/new/", views.type_create, name="type_create"),
    path("types/<uuid:pk>/", views.type_edit, name="type_edit"),
    path("types/<uuid:pk>/delete/", views.type_delete, name="type_delete"),
    path("<uuid:pk>/", views.credential_detail, name="credential_detail"),
    path("<uuid:pk>/edit/", views.credential_edit, name="credential_edit"),
    path("<uuid:pk>/delete/", views.credential_delete, name="credential_delete"),
    path("<uuid:pk>/restore/", views.credential_restore, name="credential_restore"),
    path("<uuid:pk>/sub-credentials/new/", views.sub_credential_create, name="sub_credential_create"),
]
