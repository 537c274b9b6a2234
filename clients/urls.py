from django.urls import path

from clients import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="client_list"),
    path("<uuid:pk>/", views.client_detail, name="client_detail"),
]
