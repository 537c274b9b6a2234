"""The mobile app's own routes under ``/api/v1/mobile`` (seed 001), and ``/users/search`` for its user picker.

``/mobile/auth/*`` answer with bare camelCase objects (``{accessToken, refreshToken, ...}``), not our
``{"data": ...}`` envelope: the AlgaPSA app reads those fields at the top level and refuses the server otherwise,
and these routes exist only for that app. Errors keep the usual ``{"error": ...}`` body, which the app reads too.
They take no credentials (a stale access key sent along must not turn a refresh into a 401).
"""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import mobile
from accounts.api.serializers import UserSerializer
from accounts.mobile import PushToken, TokenRefused
from accounts.models import User
from psa import audit, gating
from psa.api.exceptions import EnvelopedResponse, error_response
from psa.api.schema import EnvelopeAutoSchema, documented_error
from psa.api.serializers import PassiveSerializer
from psa.api.viewsets import PsaAPIView, PsaGenericViewSet
from psa.filtersets import BaseFilterSet, StrictBooleanFilter

REFUSED_MESSAGE = "This sign-in has expired or is not valid. Sign in again."


class BareAutoSchema(EnvelopeAutoSchema):
    """Documents success bodies as they are sent: without the ``{"data": ...}`` wrapper."""

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        return super(EnvelopeAutoSchema, self)._get_response_for_code(serializer, status_code, media_types, direction)


class DeviceSerializer(PassiveSerializer):
    platform = serializers.CharField(max_length=50, required=False, allow_blank=True)
    appVersion = serializers.CharField(max_length=50, required=False, allow_blank=True)
    buildVersion = serializers.CharField(max_length=50, required=False, allow_blank=True)
    deviceId = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ExchangeSerializer(PassiveSerializer):
    ott = serializers.CharField(max_length=200)
    state = serializers.CharField(max_length=512)
    device = DeviceSerializer(required=False)


class RefreshSerializer(PassiveSerializer):
    refreshToken = serializers.CharField(max_length=200)
    device = DeviceSerializer(required=False)


class RevokeSerializer(PassiveSerializer):
    refreshToken = serializers.CharField(max_length=200)


class MobileUserSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    login = serializers.CharField()
    email = serializers.CharField()
    name = serializers.CharField()


class TokensSerializer(serializers.Serializer):
    accessToken = serializers.CharField(help_text="An API key of purpose mobile_session; send it as x-api-key")
    refreshToken = serializers.CharField(help_text="Single use: each refresh returns the next one")
    expiresInSec = serializers.IntegerField()
    tenantId = serializers.CharField()
    user = MobileUserSerializer()


class ProvidersSerializer(serializers.Serializer):
    microsoft = serializers.BooleanField()
    google = serializers.BooleanField()


class SsoProviderSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    preset = serializers.ChoiceField(choices=["generic", "microsoft", "google"])
    start_url = serializers.CharField(help_text="Opens single sign-on in the browser, returning to the handoff")


class AuthCapabilitiesSerializer(serializers.Serializer):
    mobileEnabled = serializers.BooleanField()
    enabled = serializers.BooleanField()
    providers = ProvidersSerializer()
    ssoProviders = SsoProviderSerializer(many=True)


class OkSerializer(serializers.Serializer):
    ok = serializers.BooleanField()


class PublicMobileView(PsaAPIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    schema = BareAutoSchema()


def _tokens_body(issued: mobile.IssuedTokens) -> dict:
    user = issued.session.user
    return {
        "accessToken": issued.access_token,
        "refreshToken": issued.refresh_token,
        "expiresInSec": issued.expires_in,
        "tenantId": settings.TENANT_ID,
        "user": {"id": str(user.pk), "login": user.login, "email": user.email, "name": user.get_full_name()},
    }


def _act_as(request, user: User, key=None) -> None:
    """These routes take no credentials; once a token names its user, audit records act as that user and key."""
    request.user = user
    request.auth = key


def _refused(request, refused: TokenRefused) -> Response:
    if refused.session is not None and refused.reason in ("refresh_token_reused", "ott_replayed"):
        _act_as(request, refused.session.user)
        audit.record(
            request, refused.reason, refused.session, changes={"revoked": {"old": None, "new": "session"}},
            outcome="denied",
        )  # fmt: skip
    return error_response(401, "UNAUTHORIZED", REFUSED_MESSAGE, headers={"WWW-Authenticate": "Bearer"})


def _disabled() -> Response:
    return error_response(403, "FORBIDDEN", "Mobile sign-in is turned off on this server (PSA_MOBILE_ENABLED).")


# What exchange and refresh answer besides tokens (these routes take no credentials, so the schema hook adds neither).
REFUSALS = {
    401: documented_error("The token has expired, was already used or is not valid (sign in again)"),
    403: documented_error("Mobile sign-in is turned off on this server (PSA_MOBILE_ENABLED)"),
}


class AuthCapabilitiesView(PublicMobileView):
    @extend_schema(responses=AuthCapabilitiesSerializer, summary="What mobile sign-in this server offers", auth=[])
    def get(self, request):
        providers = mobile.sso_providers()
        keys = {p["preset"] for p in providers}
        body = {
            "mobileEnabled": settings.MOBILE_ENABLED,
            "enabled": settings.MOBILE_ENABLED,
            "providers": {"microsoft": "microsoft" in keys, "google": "google" in keys},
            "ssoProviders": providers,
        }
        return EnvelopedResponse(body)


class ExchangeView(PublicMobileView):
    @extend_schema(
        request=ExchangeSerializer, responses={200: TokensSerializer, **REFUSALS}, auth=[],
        summary="Exchange the handoff's one-time token for an access and a refresh token",
    )  # fmt: skip
    def post(self, request):
        body = ExchangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not settings.MOBILE_ENABLED:
            return _disabled()
        data = body.validated_data
        try:
            issued = mobile.redeem_handoff(data["ott"], data["state"], data.get("device", {}), _ip(request))
        except TokenRefused as refused:
            return _refused(request, refused)
        _act_as(request, issued.session.user, issued.access_key)
        audit.record(request, "create", issued.session, changes=audit.diff({}, audit.snapshot(issued.session)))
        return EnvelopedResponse(_tokens_body(issued))


class RefreshView(PublicMobileView):
    @extend_schema(
        request=RefreshSerializer, responses={200: TokensSerializer, **REFUSALS}, auth=[],
        summary="Rotate the refresh token; an already-used one revokes the whole session",
    )  # fmt: skip
    def post(self, request):
        body = RefreshSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not settings.MOBILE_ENABLED:
            return _disabled()
        data = body.validated_data
        try:
            issued = mobile.rotate_refresh(data["refreshToken"], data.get("device", {}), _ip(request))
        except TokenRefused as refused:
            return _refused(request, refused)
        _act_as(request, issued.session.user, issued.access_key)
        audit.record(request, "refresh", issued.session, changes={"access_key": {"old": None, "new": "rotated"}})
        return EnvelopedResponse(_tokens_body(issued))


class RevokeView(PublicMobileView):
    @extend_schema(
        request=RevokeSerializer, responses=OkSerializer, auth=[],
        summary="Sign the device out: end the session of this refresh token (ok even if it was not valid)",
    )  # fmt: skip
    def post(self, request):
        body = RevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = mobile.session_of_refresh(body.validated_data["refreshToken"])
        # The same answer whether or not the token was known, so revoke cannot be used to test tokens.
        if session is not None:
            with transaction.atomic():
                if session.revoke("signed_out"):
                    _act_as(request, session.user)
                    audit.record(request, "revoke", session, changes={"revoked_at": {"old": None, "new": "now"}})
        return EnvelopedResponse({"ok": True})


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class FeaturesSerializer(serializers.Serializer):
    inventory = serializers.BooleanField()
    opportunities = serializers.BooleanField()
    opportunitiesCreate = serializers.BooleanField()


class MeCapabilitiesSerializer(serializers.Serializer):
    features = FeaturesSerializer()


class MeCapabilitiesView(PsaAPIView):
    action_nodes = {"GET": ["user.read"]}

    @extend_schema(responses=MeCapabilitiesSerializer, summary="Which feature-gated app modules this server has")
    def get(self, request):
        # The Ticketing MVP only: the app's inventory and opportunity modules have no server side here.
        return Response({"features": {"inventory": False, "opportunities": False, "opportunitiesCreate": False}})


class PushTokenSerializer(PassiveSerializer):
    expoPushToken = serializers.CharField(max_length=500)
    deviceId = serializers.CharField(max_length=200)
    platform = serializers.CharField(max_length=50)
    appVersion = serializers.CharField(max_length=50, required=False, allow_blank=True)


class PushTokenRemoveSerializer(PassiveSerializer):
    deviceId = serializers.CharField(max_length=200)


class PushTokenResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    device_id = serializers.CharField()
    registered = serializers.BooleanField()


class PushTokenView(PsaAPIView):
    """One push token per user and device; sending notifications is out of scope for now."""

    action_nodes = {"PUT": ["mobile.push_token"], "DELETE": ["mobile.push_token"]}

    def _session(self, request):
        key = request.auth
        if getattr(key, "purpose", None) != "mobile_session":
            return None
        return mobile.MobileSession.objects.filter(access_key=key).first()

    @extend_schema(
        request=PushTokenSerializer, responses=PushTokenResultSerializer,
        summary="Register (or replace) this device's push token",
    )  # fmt: skip
    def put(self, request):
        body = PushTokenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with transaction.atomic():
            existing = PushToken.objects.select_for_update().filter(user=request.user, device_id=data["deviceId"])
            token = existing.first() or PushToken(user=request.user, device_id=data["deviceId"])
            before = audit.snapshot(token) if token.pk else {}
            token.token, token.platform = data["expoPushToken"], data["platform"]
            token.app_version = data.get("appVersion", "")
            token.session = self._session(request) or token.session
            token.save()
            changes = audit.diff(before, audit.snapshot(token))
            if changes:
                audit.record(request, "update" if before else "create", token, changes=changes)
        return _push_result(token.device_id, True)

    @extend_schema(
        request=PushTokenRemoveSerializer, responses=PushTokenResultSerializer,
        summary="Remove this device's push token",
    )  # fmt: skip
    def delete(self, request):
        body = PushTokenRemoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        device = body.validated_data["deviceId"]
        token = PushToken.objects.filter(user=request.user, device_id=device).first()
        if token is not None:
            with transaction.atomic():
                before = audit.snapshot(token)
                audit.record(request, "delete", token, changes=audit.diff(before, {}))
                token.delete()
        return _push_result(device, False)


def _push_result(device_id: str, registered: bool) -> Response:
    # The app reads ``ok`` at the top level; ``data`` keeps our envelope for every other client.
    result = {"ok": True, "device_id": device_id, "registered": registered}
    return EnvelopedResponse({"ok": True, "data": result})


# ---- /users/search ----------------------------------------------------------------------------------------------

SEARCHABLE = {"first_name": ("name",), "last_name": ("name",), "email": ("email",), "username": ("login",)}


class UserSearchFilterSet(BaseFilterSet):
    """The app's user picker: ``query`` over ``fields`` (default all), internal users, active unless asked."""

    query = django_filters.CharFilter(method="filter_query", max_length=200, label="Words to find")
    fields = django_filters.CharFilter(method="filter_noop", max_length=200, label="Fields to search, comma-separated")
    user_type = django_filters.ChoiceFilter(
        choices=[("internal", "internal"), ("client", "client")], method="filter_user_type", label="User type"
    )
    include_inactive = StrictBooleanFilter(method="filter_noop", label="Also inactive users (default false)")
    search_fields = ("name", "email", "login")

    class Meta:
        model = User
        fields = []

    def clean_fields(self) -> tuple[str, ...]:
        raw = self.form.cleaned_data.get("fields") or ""
        names = [n.strip() for n in raw.split(",") if n.strip()] or list(SEARCHABLE)
        unknown = sorted(set(names) - set(SEARCHABLE))
        if unknown:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"fields": [f"Unknown fields: {', '.join(unknown)}. Use {', '.join(SEARCHABLE)}."]})
        return tuple(names)

    def filter_noop(self, queryset, name, value):
        return queryset  # read by filter_queryset / filter_query

    def filter_query(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        columns = {column for field in self.clean_fields() for column in SEARCHABLE[field]}
        # A field the caller may not see is never searched (psa.gating), as with every list's search.
        columns = {column for column in columns if gating.lookup_visible(self.request, User, column)}
        if not columns:
            return queryset.none()
        condition = Q()
        for column in sorted(columns):
            condition |= Q(**{f"{column}__icontains": value})
        return queryset.filter(condition)

    def filter_user_type(self, queryset, name, value):
        # Every PSA user is one of the MSP's own people; there are no client-portal users.
        return queryset if value in (None, "", "internal") else queryset.none()

    def filter_queryset(self, queryset):
        self.clean_fields()
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("include_inactive"):
            queryset = queryset.filter(is_active=True)
        return queryset


class UserSearchViewSet(PsaGenericViewSet, mixins.ListModelMixin):
    queryset = User.objects.prefetch_related("roles", "allowed_clients")
    serializer_class = UserSerializer
    filterset_class = UserSearchFilterSet
    action_nodes = {"list": ["user.read.other", "user.list.other"]}
    sort_fields = {"first_name": "name", "name": "name", "login": "login", "username": "login", "email": "email"}
    default_sort = "name"

    @extend_schema(summary="Search users by name, e-mail or login (the mobile app's user picker)")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


urlpatterns = [
    path("mobile/auth/capabilities", AuthCapabilitiesView.as_view(), name="mobile-auth-capabilities"),
    path("mobile/auth/exchange", ExchangeView.as_view(), name="mobile-auth-exchange"),
    path("mobile/auth/refresh", RefreshView.as_view(), name="mobile-auth-refresh"),
    path("mobile/auth/revoke", RevokeView.as_view(), name="mobile-auth-revoke"),
    path("mobile/me/capabilities", MeCapabilitiesView.as_view(), name="mobile-me-capabilities"),
    path("mobile/push-token", PushTokenView.as_view(), name="mobile-push-token"),
    path("users/search", UserSearchViewSet.as_view({"get": "list"}), name="user-search"),
]
