from django.urls import path

from integrations.hudu import views

urlpatterns = [path("companies/", views.company_mapping, name="hudu_companies")]
