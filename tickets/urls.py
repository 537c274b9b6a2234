from django.urls import path

from tickets import page_views, views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("new/", views.ticket_create, name="ticket_create"),
    path("bulk/", views.bulk_update, name="bulk_update"),
    path("<uuid:pk>/", views.ticket_detail, name="ticket_detail"),
    path("<uuid:pk>/update/", views.ticket_update, name="ticket_update"),
    path("<uuid:pk>/comments/", views.comment_create, name="comment_create"),
    path("<uuid:pk>/edit/", page_views.ticket_edit, name="ticket_edit"),
    path("<uuid:pk>/tags/", page_views.ticket_tags, name="ticket_tags"),
    path("<uuid:pk>/people/", page_views.ticket_people, name="ticket_people"),
    path("<uuid:pk>/bundle/", page_views.bundle_change, name="bundle_change"),
    path("<uuid:pk>/assets/", page_views.asset_link_change, name="asset_link_change"),
    path("clients/<uuid:client_id>/", page_views.client_tickets, name="client_tickets"),
    path("documents/<slug:holder_kind>/<uuid:pk>/", page_views.document_upload, name="document_upload"),
    path(
        "documents/<slug:holder_kind>/<uuid:pk>/<uuid:document_id>/remove/",
        page_views.document_remove,
        name="document_remove",
    ),
]
