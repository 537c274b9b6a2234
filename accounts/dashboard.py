"""The accounts app's dashboard counts."""

from __future__ import annotations

from accounts.models import ApiKey, User
from psa.access import has_node
from psa.dashboard import dashboard_stat


@dashboard_stat("users", label="Active users", order=70, url_name="accounts:user_list")
def active_users(request) -> int | None:
    if not has_node(request, "user.read.other"):
        return None
    return User.objects.filter(is_active=True).count()


@dashboard_stat("my_keys", label="My active API keys", order=71, url_name="accounts:profile")
def my_api_keys(request) -> int | None:
    if not has_node(request, "api_key.read"):
        return None
    return ApiKey.objects.usable().filter(owner=request.user).count()
