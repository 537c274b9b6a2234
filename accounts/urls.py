from django.urls import path

from accounts import mobile_views, views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/keys/<uuid:pk>/revoke/", views.revoke_key, name="revoke_key"),
    path("auth/signin", mobile_views.SignInView.as_view(), name="signin"),
    path("auth/mobile/handoff", mobile_views.mobile_handoff, name="mobile_handoff"),
    path("profile/mobile-sessions/<uuid:pk>/revoke/", mobile_views.revoke_session, name="revoke_mobile_session"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<uuid:pk>/", views.user_detail, name="user_detail"),
    path("roles/", views.role_list, name="role_list"),
    path("roles/new/", views.role_create, name="role_create"),
    path("roles/<uuid:pk>/", views.role_detail, name="role_detail"),
    path("roles/<uuid:pk>/delete/", views.role_delete, name="role_delete"),
]
