"""The OpenID Connect relying party: discovery, the authorization URL, the code exchange and ID-token checks.

HTTP goes through httpx with the ``PSA_SSO_HTTP_TIMEOUT``; discovery documents and key sets are cached for
``PSA_SSO_METADATA_CACHE_SECONDS`` (a key set is fetched again once when a token names an unknown ``kid``, so the
provider can rotate keys). JWT parsing and signature checks are joserfc's; this module says which claims must hold:
``iss`` is the configured issuer, ``aud`` holds our client id (and ``azp`` is ours when there are several), ``exp``
is in the future and ``iat`` not in it (with ``PSA_SSO_CLOCK_SKEW`` seconds of leeway), and ``nonce`` is the one this
sign-in sent. Any failure is an :class:`OidcError` whose message names the check, never a token or a secret.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import DecodeError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class OidcError(Exception):
    """The provider could not be used or answered something we must not trust. ``reason`` is a short code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    token_auth_methods: tuple[str, ...]


def check_issuer_url(url: str) -> str | None:
    """Why ``url`` cannot be an issuer, or ``None``: HTTPS, except on loopback (the simulator, a local provider)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "is not a URL"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None
    return "must be an https:// URL"


def _client() -> httpx.Client:
    timeout = httpx.Timeout(settings.SSO_HTTP_TIMEOUT)
    return httpx.Client(timeout=timeout, follow_redirects=False, headers={"Accept": "application/json"})


def _get_json(url: str, what: str) -> dict:
    try:
        with _client() as http:
            response = http.get(url)
    except httpx.HTTPError:
        raise OidcError("provider_unreachable", f"The sign-in provider could not be reached ({what}).") from None
    if response.status_code != 200:
        raise OidcError("provider_error", f"The sign-in provider answered {response.status_code} ({what}).")
    try:
        body = response.json()
    except ValueError:
        raise OidcError("provider_error", f"The sign-in provider's {what} is not JSON.") from None
    if not isinstance(body, dict):
        raise OidcError("provider_error", f"The sign-in provider's {what} is not a JSON object.")
    return body


def _metadata_key(issuer: str) -> str:
    return f"oidc-metadata:{hashlib.sha256(issuer.encode()).hexdigest()}"


def _key_set_key(jwks_uri: str) -> str:
    return f"oidc-jwks:{hashlib.sha256(jwks_uri.encode()).hexdigest()}"


def forget(issuer: str) -> None:
    """Drop what is cached of ``issuer`` (its discovery document and key set): the next sign-in reads them afresh."""
    body = cache.get(_metadata_key(issuer))
    keys = [_metadata_key(issuer)]
    if isinstance(body, dict) and body.get("jwks_uri"):
        keys.append(_key_set_key(str(body["jwks_uri"])))
    cache.delete_many(keys)


def metadata(issuer: str) -> Metadata:
    """The provider's discovery document, which must name the configured issuer exactly (OpenID Discovery §4.3)."""
    cache_key = _metadata_key(issuer)
    body = cache.get(cache_key)
    if body is None:
        body = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", "discovery document")
        if body.get("issuer") != issuer:
            raise OidcError("issuer_mismatch", "The provider's discovery document names another issuer.")
        cache.set(cache_key, body, settings.SSO_METADATA_CACHE_SECONDS)
    try:
        return Metadata(
            issuer=body["issuer"],
            authorization_endpoint=str(body["authorization_endpoint"]),
            token_endpoint=str(body["token_endpoint"]),
            jwks_uri=str(body["jwks_uri"]),
            token_auth_methods=tuple(body.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]),
        )
    except KeyError as missing:
        raise OidcError("provider_error", f"The discovery document lacks {missing}.") from None


def _key_set(jwks_uri: str, refresh: bool = False) -> KeySet:
    cache_key = _key_set_key(jwks_uri)
    body = None if refresh else cache.get(cache_key)
    if body is None:
        body = _get_json(jwks_uri, "key set")
        cache.set(cache_key, body, settings.SSO_METADATA_CACHE_SECONDS)
    try:
        return KeySet.import_key_set(body)
    except (JoseError, ValueError, TypeError, KeyError):
        raise OidcError("provider_error", "The provider's key set cannot be read.") from None


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str


def new_pkce() -> Pkce:
    verifier = secrets.token_urlsafe(48)  # 64 characters, within RFC 7636's 43..128
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return Pkce(verifier, challenge)


def authorization_url(meta: Metadata, *, client_id: str, redirect_uri: str, scope: str, state: str, nonce: str,
                      challenge: str, extra: dict[str, str] | None = None) -> str:  # fmt: skip
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **(extra or {}),
    }
    separator = "&" if "?" in meta.authorization_endpoint else "?"
    return f"{meta.authorization_endpoint}{separator}{urlencode(params)}"


def exchange_code(meta: Metadata, *, client_id: str, client_secret: str, code: str, redirect_uri: str,
                  verifier: str) -> str:  # fmt: skip
    """Trade the authorization code for tokens; returns the raw ID token."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    auth = None
    if "client_secret_basic" in meta.token_auth_methods or "client_secret_post" not in meta.token_auth_methods:
        auth = httpx.BasicAuth(client_id, client_secret)
    else:
        form.update(client_id=client_id, client_secret=client_secret)
    try:
        with _client() as http:
            response = http.post(meta.token_endpoint, data=form, auth=auth)
    except httpx.HTTPError:
        raise OidcError("provider_unreachable", "The sign-in provider could not be reached (token).") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict):
        error = body.get("error") if isinstance(body, dict) else None
        raise OidcError(
            "token_refused", f"The provider refused the sign-in code ({str(error or response.status_code)[:64]})."
        )
    token = body.get("id_token")
    if not isinstance(token, str) or not token:
        raise OidcError("token_refused", "The provider's answer has no ID token.")
    return token


def validate_id_token(meta: Metadata, token: str, *, client_id: str, nonce: str) -> dict[str, Any]:
    """The ID token's claims once its signature and claims check out; raises :class:`OidcError` otherwise."""
    decoded = _decode(meta, token)
    claims = decoded.claims
    leeway = settings.SSO_CLOCK_SKEW
    registry = JWTClaimsRegistry(
        leeway=leeway,
        iss={"essential": True, "value": meta.issuer},
        sub={"essential": True},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        claim = getattr(error, "claim", None) or "claims"
        raise OidcError(f"invalid_{claim}", f"The ID token's {claim} is not valid for this sign-in.") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcError("invalid_azp", "The ID token was issued to another party (azp).")
    return claims


def _decode(meta: Metadata, token: str):
    """Decode and verify; a ``kid`` missing from the cached key set fetches it again once (the provider rotated)."""
    for refresh in (False, True):
        keys = _key_set(meta.jwks_uri, refresh=refresh)
        try:
            return jwt.decode(token, keys, algorithms=SIGNING_ALGORITHMS)
        except InvalidKeyIdError:
            if refresh:
                raise OidcError(
                    "invalid_signature", "The ID token is signed by a key the provider does not publish."
                ) from None
        except DecodeError:
            raise OidcError("invalid_token", "The ID token is not a well-formed JWT.") from None
        except (JoseError, ValueError, TypeError):
            raise OidcError("invalid_signature", "The ID token's signature does not verify.") from None
    raise OidcError("invalid_signature", "The ID token's signature does not verify.")
