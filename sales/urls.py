from django.urls import path

from sales import views

app_name = "sales"

urlpatterns = [
    path("", views.opportunity_list, name="opportunity_list"),
    path("<uuid:pk>/", views.opportunity_detail, name="opportunity_detail"),
    path("<uuid:pk>/products/move/", views.product_move, name="product_move"),
    path("<uuid:pk>/notes/", views.note_save, name="note_add"),
    path("<uuid:pk>/notes/<int:note_id>/", views.note_save, name="note_edit"),
    path("<uuid:pk>/notes/<int:note_id>/delete/", views.note_delete, name="note_delete"),
]
