import django_filters

from accounts.models import ApiKey, Role, User
from psa.filtersets import BaseFilterSet


class UserFilterSet(BaseFilterSet):
    search_fields = ("login", "name", "email")
    role = django_filters.CharFilter(field_name="roles__moniker", distinct=True)

    class Meta:
        model = User
        fields = ["is_active"]


class RoleFilterSet(BaseFilterSet):
    search_fields = ("title", "moniker", "description")

    class Meta:
        model = Role
        fields = ["is_builtin"]


class ApiKeyFilterSet(BaseFilterSet):
    search_fields = ("description", "key_id")
    owner_id = django_filters.UUIDFilter(field_name="owner_id")

    class Meta:
        model = ApiKey
        fields = ["is_active", "purpose"]
