from django.urls import path

from clients import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="client_list"),
    path("new/", views.client_create, name="client_create"),
    path("<uuid:pk>/", views.client_detail, name="client_detail"),
    path("<uuid:pk>/edit/", views.client_edit, name="client_edit"),
    path("<uuid:pk>/archive/", views.client_archive, name="client_archive"),
    # The documentation tabs: contacts, locations, assets, networks, domains, certificates, software.
    path("<uuid:pk>/<slug:kind>/", views.doc_list, name="doc_list"),
    path("<uuid:pk>/<slug:kind>/new/", views.doc_create, name="doc_create"),
    path("<uuid:pk>/<slug:kind>/<uuid:obj_pk>/", views.doc_detail, name="doc_detail"),
    path("<uuid:pk>/<slug:kind>/<uuid:obj_pk>/edit/", views.doc_edit, name="doc_edit"),
    path("<uuid:pk>/<slug:kind>/<uuid:obj_pk>/delete/", views.doc_delete, name="doc_delete"),
]
