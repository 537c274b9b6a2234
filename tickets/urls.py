from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("new/", views.ticket_create, name="ticket_create"),
    path("bulk/", views.bulk_update, name="bulk_update"),
    path("<uuid:pk>/", views.ticket_detail, name="ticket_detail"),
    path("<uuid:pk>/update/", views.ticket_update, name="ticket_update"),
    path("<uuid:pk>/comments/", views.comment_create, name="comment_create"),
]
