from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.catalog_list, name="catalog_list"),
    path("procurement/", views.procurement_list, name="procurement_list"),
    path("procurement/<uuid:pk>/", views.procurement_item, name="procurement_item"),
    path("procurement/<uuid:pk>/refresh/", views.procurement_refresh, name="procurement_refresh"),
    path("procurement/<uuid:pk>/links/", views.procurement_link, name="procurement_link"),
    path("products/<uuid:pk>/edit/", views.product_edit, name="product_edit"),
]
