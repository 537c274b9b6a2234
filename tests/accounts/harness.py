"""Route-harness entries for the mobile app's routes (``/api/v1/mobile/*``, ``/users/search``)."""

from __future__ import annotations

# The app calls these before it has a token; without a body the token routes answer 400.
PUBLIC_ROUTES = {
    "mobile-auth-capabilities": 200,
    "mobile-auth-exchange": 400,
    "mobile-auth-refresh": 400,
    "mobile-auth-revoke": 400,
    # Single sign-on (accounts.api.sso): no provider is configured in the harness, and no state, key or token sent.
    "sso-uri": 400,
    "sso-redirect": 400,
    "sso-token": 400,
    "sso-refresh": 400,
}


def build(world) -> None:
    """The mobile routes need no objects of their own."""


BODIES = {
    ("mobile-push-token", "PUT"): lambda w: {
        "expoPushToken": "ExponentPushToken[harness]",
        "deviceId": "harness-device",
        "platform": "ios",
        "appVersion": "1.0.0",
    },
    ("mobile-push-token", "DELETE"): lambda w: {"deviceId": "harness-device"},
}
