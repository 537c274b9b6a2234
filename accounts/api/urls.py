from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import mobile, sso, views

router = SimpleRouter(trailing_slash=False)
router.register("users", views.UserViewSet, basename="user")
router.register("roles", views.RoleViewSet, basename="role")
router.register("api-keys", views.ApiKeyViewSet, basename="apikey")

urlpatterns = [
    path("users/@me", views.MeView.as_view(), name="user-me"),
    path("users/@me/password", views.MePasswordView.as_view(), name="user-me-password"),
    path("users/@me/check-permission", views.MeCheckPermissionView.as_view(), name="user-me-check-permission"),
    path("permissions", views.PermissionCategoriesView.as_view(), name="permission-categories"),
    path("permissions/nodes", views.PermissionNodesView.as_view(), name="permission-nodes"),
    path("permissions/<str:category>", views.PermissionCategoryView.as_view(), name="permission-category"),
    path("teapot", views.TeapotView.as_view(), name="teapot"),
    *mobile.urlpatterns,
    *sso.urlpatterns,
    *router.urls,
]
