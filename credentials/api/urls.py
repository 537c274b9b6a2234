from django.urls import path
from rest_framework.routers import SimpleRouter

from credentials.api import views

router = SimpleRouter(trailing_slash=False)
router.register("credentials", views.CredentialViewSet, basename="credential")
router.register("credential-types", views.CredentialTypeViewSet, basename="credentialtype")

urlpatterns = [
    path(
        "clients/<uuid:client_id>/credentials",
        views.ClientCredentialViewSet.as_view({"get": "list"}),
        name="client-credentials",
    ),
    *router.urls,
]
