"""UI routes of time and materials, apart from tickets/urls.py (namespace ``work``)."""

from django.urls import path

from tickets import time_views

app_name = "work"

urlpatterns = [
    path("time/", time_views.my_time, name="my_time"),
    path("time/timer/stop/", time_views.stop_timer, name="timer_stop"),
    path("time/entries/<uuid:entry_id>/delete/", time_views.delete_entry, name="entry_delete"),
    path("tickets/<uuid:pk>/time/", time_views.log_time, name="log_time"),
    path("tickets/<uuid:pk>/timer/start/", time_views.start_timer, name="timer_start"),
    path("tickets/<uuid:pk>/materials/", time_views.add_material, name="material_add"),
    path("tickets/<uuid:pk>/materials/<uuid:material_id>/delete/", time_views.delete_material, name="material_delete"),
]
