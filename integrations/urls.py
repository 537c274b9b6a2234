from django.urls import path

from integrations import views
from integrations.hudu import views as hudu_views

app_name = "integrations"

urlpatterns = [
    path("", views.source_list, name="source_list"),
    path("<uuid:pk>/", views.source_detail, name="source_detail"),
    path("<uuid:pk>/test/", views.source_test, name="source_test"),
    path("<uuid:pk>/sync/", views.source_sync, name="source_sync"),
    path("<uuid:pk>/hudu/companies/", hudu_views.company_mapping, name="hudu_companies"),
]
