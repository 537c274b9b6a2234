"""An OpenID Connect provider simulator: a WSGI app speaking the real protocol on loopback, for the tests and demos.

It serves discovery (``/.well-known/openid-configuration``), the key set (``/jwks``), the authorization endpoint
(``/authorize``, which signs in whichever user the test chose with :meth:`OpenIdSimulator.sign_in_as`, or shows a
small form when none is chosen) and the token endpoint (``/token``), strictly: registered client and redirect URI,
``response_type=code``, PKCE ``S256`` checked against the verifier, single-use codes, client secret by Basic auth or
in the body. ID tokens are RS256 JWTs signed by a key generated at start.

Faults (``fault``), as a misbehaving or hostile provider would show them: ``bad_signature`` (signed by another key
under the same ``kid``), ``wrong_aud``, ``wrong_iss``, ``expired``, ``wrong_nonce``, ``unverified_email``, and
``down`` (every endpoint answers 503); and the shared ones of :mod:`integrations.simulator` (queued faults, slow
answers, :meth:`~integrations.simulator.Simulator.expire_credentials`: the client secret is refused), with its
redacted request log (``"POST /token" in simulator.requests``) and loopback runner.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.wrappers import Request, Response

from integrations.simulator import LoopbackServer, Simulator, json_response

DEMO_CLIENT_ID = "psa-demo-client"
DEMO_CLIENT_SECRET = "psa-demo-client-secret-not-secret"
FAULTS = frozenset({"bad_signature", "wrong_aud", "wrong_iss", "expired", "wrong_nonce", "unverified_email", "down"})


@dataclass
class SimulatedUser:
    sub: str
    email: str
    name: str = ""
    email_verified: bool = True


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    user: SimulatedUser
    nonce: str | None
    challenge: str
    scope: str
    used: bool = False


class OpenIdSimulator(Simulator):
    """An OpenID provider on the shared simulator base. ``fault`` is the protocol fault (see the module's list)."""

    vendor = "openid"
    default_port = 8014
    fault_body = {"error": "server_error", "error_description": "Injected fault"}
    malformed_body = '{"issuer": "trunc'

    def __init__(
        self,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        redirect_uris: list[str] | None = None,
        users: list[SimulatedUser] | None = None,
        issuer: str = "",
        fault: str | None = None,
        token_lifetime: int = 300,
    ) -> None:
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uris = list(redirect_uris or [])  # empty: any redirect URI on loopback
        self.users = list(users or [])
        self.issuer = issuer  # set by serve(); the base URL
        self.token_lifetime = token_lifetime
        self.fault: str | None = None
        self.set_fault(fault)
        # A key id of its own: a client that cached another simulator's keys (on a reused port) fetches them again.
        self._kid = f"sim-{secrets.token_hex(4)}"
        self._key = RSAKey.generate_key(2048, parameters={"kid": self._kid, "use": "sig", "alg": "RS256"})
        self._grants: dict[str, _Grant] = {}
        self._chosen: SimulatedUser | None = None

    # --- what tests drive ------------------------------------------------------------------------------------

    def sign_in_as(self, sub: str, email: str, name: str = "", email_verified: bool = True) -> SimulatedUser:
        """The user the authorization endpoint signs in from now on (without a form)."""
        user = SimulatedUser(sub, email, name, email_verified)
        self.users.append(user)
        self._chosen = user
        return user

    def set_fault(self, fault: str | None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sorted(FAULTS))}")
        self.fault = fault

    # --- WSGI ------------------------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        if self.fault == "down":
            return json_response({"error": "temporarily_unavailable"}, 503)
        routes = {
            ("GET", "/.well-known/openid-configuration"): self._discovery,
            ("GET", "/jwks"): self._jwks,
            ("GET", "/authorize"): self._authorize,
            ("POST", "/authorize"): self._authorize,
            ("POST", "/token"): self._token,
        }
        handler = routes.get((request.method, request.path))
        if handler is None:
            return json_response({"error": "not_found"}, 404)
        return handler(request)

    def _discovery(self, request: Request) -> Response:
        base = self.issuer or request.host_url.rstrip("/")
        return json_response(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
            }
        )

    def _jwks(self, request: Request) -> Response:
        return json_response({"keys": [self._key.as_dict(private=False)]})

    def _authorize(self, request: Request) -> Response:
        args = request.values
        problem = self._check_authorize(args)
        if problem:
            return json_response({"error": "invalid_request", "error_description": problem}, 400)
        user = self._chosen
        if user is None and request.method == "POST":
            user = next((u for u in self.users if u.sub == request.form.get("sub")), None)
        if user is None:
            return self._chooser(args)
        code = secrets.token_urlsafe(24)
        with self.lock:
            self._grants[code] = _Grant(
                args["client_id"], args["redirect_uri"], user, args.get("nonce"), args["code_challenge"],
                args.get("scope", ""),
            )  # fmt: skip
        query = urlencode({"code": code, "state": args.get("state", ""), "iss": self.issuer})
        return Response(status=302, headers={"Location": f"{args['redirect_uri']}?{query}"})

    def _check_authorize(self, args) -> str:
        if args.get("response_type") != "code":
            return "response_type must be code"
        if args.get("client_id") != self.client_id:
            return "unknown client_id"
        redirect = args.get("redirect_uri", "")
        if self.redirect_uris:
            if redirect not in self.redirect_uris:
                return "redirect_uri is not registered"
        elif not redirect.startswith(("http://127.0.0.1", "http://localhost", "https://")):
            return "redirect_uri is not allowed"
        if "openid" not in args.get("scope", "").split():
            return "scope must include openid"
        if not args.get("code_challenge") or args.get("code_challenge_method") != "S256":
            return "PKCE with S256 is required"
        return ""

    def _chooser(self, args) -> Response:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in args.items(multi=True)
        )
        buttons = "".join(
            f'<button name="sub" value="{html.escape(u.sub)}">Continue as {html.escape(u.email)}</button>'
            for u in self.users
        )
        body = f"<!doctype html><title>Simulated provider</title><form method=post>{hidden}{buttons}</form>"
        return Response(body, content_type="text/html")

    def _client_credentials(self, request: Request) -> tuple[str, str]:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                decoded = base64.b64decode(auth[6:]).decode()
            except (ValueError, UnicodeDecodeError):
                return "", ""
            client_id, _, secret = decoded.partition(":")
            return client_id, secret
        return request.form.get("client_id", ""), request.form.get("client_secret", "")

    def _token(self, request: Request) -> Response:
        form = request.form
        client_id, secret = self._client_credentials(request)
        if (
            client_id != self.client_id
            or not secrets.compare_digest(secret, self.client_secret)
            or self.credentials_expired
        ):
            return json_response({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "authorization_code":
            return json_response({"error": "unsupported_grant_type"}, 400)
        with self.lock:
            grant = self._grants.get(form.get("code", ""))
            if grant is None or grant.used:
                return json_response({"error": "invalid_grant", "error_description": "unknown or used code"}, 400)
            grant.used = True
        if grant.redirect_uri != form.get("redirect_uri"):
            return json_response({"error": "invalid_grant", "error_description": "redirect_uri differs"}, 400)
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or not secrets.compare_digest(digest, grant.challenge):
            return json_response({"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400)
        return json_response(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "scope": grant.scope,
                "id_token": self._id_token(grant),
            }
        )

    def _id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.user.sub,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + self.token_lifetime,
            "email": grant.user.email,
            "email_verified": grant.user.email_verified,
            "name": grant.user.name,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        key = self._key
        match self.fault:
            case "wrong_aud":
                claims["aud"] = "someone-else"
            case "wrong_iss":
                claims["iss"] = "https://impostor.example"
            case "expired":
                claims["iat"], claims["exp"] = now - 7200, now - 3600
            case "wrong_nonce":
                claims["nonce"] = "not-the-nonce"
            case "unverified_email":
                claims["email_verified"] = False
            case "bad_signature":
                key = RSAKey.generate_key(2048, parameters={"kid": self._kid, "use": "sig", "alg": "RS256"})
        return jwt.encode({"alg": "RS256", "kid": self._kid}, claims, key)

    # --- serving on loopback ------------------------------------------------------------------------------

    def serve(self, host: str = "127.0.0.1", port: int = 0, ssl_context: Any = None) -> LoopbackServer:
        """Serve on loopback in a thread and name the provider (``issuer``) by its URL."""
        server = super().serve(host, port, ssl_context)
        self.issuer = server.url
        return server

    def banner(self, url: str) -> str:
        return f"OpenID provider simulator on {url}/ (client id {DEMO_CLIENT_ID}, client secret {DEMO_CLIENT_SECRET})"
