"""The technician UI: each app's ``urls.py`` under one root.

Sign-in and sign-out keep the global names ``login`` and ``logout`` that ``LOGIN_URL`` and ``LOGOUT_REDIRECT_URL``
use; every other page lives in its app's namespace (``accounts:``, ``clients:``), apart from the API's route names.
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.two_factor_views import LoginView
from accounts.views import PasswordResetConfirmView
from psa import audit_page, dashboard
from psa.search import views as search

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", LoginView.as_view(), name="login"),  # the password, then the second factor if the user has one
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # One-time links an administrator issues for choosing a new password (accounts.passwords).
    path("reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("audit/", audit_page.audit_list, name="audit_list"),
    path("", include("accounts.urls")),
    # Before clients.urls, whose /clients/<id>/<kind>/ pages would otherwise take the UniFi tab's path.
    path("", include("integrations.unifi.urls")),
    path("clients/", include("clients.urls")),
    path("assets/", include("assets.urls")),
    path("search/", search.search, name="search"),
    path("tickets/", include("tickets.urls")),
    path("credentials/", include("credentials.urls")),
    path("integrations/", include("integrations.urls")),
    path("", include("tickets.time_urls")),
    path("catalog/", include("catalog.urls")),
    path("sales/", include("sales.urls")),
]
