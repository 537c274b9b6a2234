from django.urls import path

from accounts import mobile_views, preferences, profile, sso_views, two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.password_change, name="password_change"),
    path("profile/keys/<uuid:pk>/revoke/", views.revoke_key, name="revoke_key"),
    path("profile/preferences/", preferences.preferences, name="preferences"),
    path("profile/details/", profile.update_details, name="profile_details"),
    path("login/verify/", two_factor_views.verify, name="two_factor_verify"),
    path("auth/sso/<slug:key>/start", sso_views.start, name="sso_start"),
    path("auth/sso/done", sso_views.done, name="sso_done"),
    path("auth/sso/confirm", sso_views.confirm, name="sso_confirm"),
    path("profile/two-factor/", two_factor_views.enrol, name="two_factor"),
    path("profile/two-factor/confirm/", two_factor_views.confirm, name="two_factor_confirm"),
    path("profile/two-factor/recovery-codes/", two_factor_views.new_recovery_codes, name="two_factor_recovery_codes"),
    path("profile/two-factor/disable/", two_factor_views.disable, name="two_factor_disable"),
    path("users/<uuid:pk>/two-factor/reset/", two_factor_views.admin_reset, name="two_factor_reset"),
    path("auth/signin", mobile_views.SignInView.as_view(), name="signin"),
    path("auth/mobile/handoff", mobile_views.mobile_handoff, name="mobile_handoff"),
    path("profile/mobile-sessions/<uuid:pk>/revoke/", mobile_views.revoke_session, name="revoke_mobile_session"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<uuid:pk>/", views.user_detail, name="user_detail"),
    path("users/<uuid:pk>/password-reset/", views.user_password_reset, name="user_password_reset"),
    path("roles/", views.role_list, name="role_list"),
    path("roles/new/", views.role_create, name="role_create"),
    path("roles/<uuid:pk>/", views.role_detail, name="role_detail"),
    path("roles/<uuid:pk>/delete/", views.role_delete, name="role_delete"),
]
