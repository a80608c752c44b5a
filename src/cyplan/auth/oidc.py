"""Sign-in with OpenID Connect (issue 14 part 2): any provider by its discovery URL.

The authorisation code flow with PKCE (S256), a `state` against cross-site requests and a `nonce` against a
replayed ID token; Authlib builds the requests, joserfc checks the ID token: its signature by a key of the
provider's JWKS, the issuer, the audience (this app's client id), the expiry and the nonce. The client
authenticates at the token endpoint with its client secret (client_secret_post / _basic); private_key_jwt is not
supported (docs/deployment.md says what that means for GOV.UK One Login).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from cyplan.auth.config import Oidc
from cyplan.auth.session import User

LEEWAY = 60  # seconds of clock difference allowed between this server and the provider
TIMEOUT = 10.0  # seconds to wait for the provider
DISCOVERY_TTL = 3600  # seconds a discovery document and its keys are kept before being fetched again
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]  # never 'none' or HS


class SignInFailed(Exception):
    """A sign-in refused: the reason in words, for the person and the audit trail."""


@dataclass(frozen=True)
class Pending:
    """What the server keeps between sending the browser to the provider and its return."""

    state: str
    nonce: str
    verifier: str
    next: str


class Provider:
    def __init__(self, settings: Oidc, redirect_uri: str):
        self.settings, self.redirect_uri = settings, redirect_uri
        self._lock = threading.Lock()
        self._meta: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched = 0.0

    # -- the provider's documents ---------------------------------------------------------------------

    def _get(self, url: str) -> dict[str, Any]:
        try:
            answer = httpx.get(url, timeout=TIMEOUT, follow_redirects=False)
            answer.raise_for_status()
            body = answer.json()
        except (httpx.HTTPError, ValueError) as e:
            raise SignInFailed(f"the sign-in service could not be reached at {url} ({e.__class__.__name__}). Try "
                               "again in a minute; if it goes on, tell the server's administrator.") from e
        if not isinstance(body, dict):
            raise SignInFailed(f"the sign-in service at {url} answered with something that is not its settings")
        return body

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._meta is None or time.monotonic() - self._fetched > DISCOVERY_TTL:
                meta = self._get(self.settings.discovery_url)
                for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(meta.get(key), str):
                        raise SignInFailed(f"the sign-in service's settings at {self.settings.discovery_url} have "
                                           f"no {key}")
                self._meta, self._keys, self._fetched = meta, None, time.monotonic()
            return self._meta

    def keys(self, refresh: bool = False) -> KeySet:
        meta = self.metadata()
        with self._lock:
            if self._keys is None or refresh:
                try:
                    self._keys = KeySet.import_key_set(self._get(meta["jwks_uri"]))  # type: ignore[arg-type]
                except (JoseError, ValueError, TypeError) as e:
                    raise SignInFailed(f"the sign-in service's keys at {meta['jwks_uri']} cannot be read ({e})") from e
            return self._keys

    # -- the flow ------------------------------------------------------------------------------------

    def _client(self) -> OAuth2Session:
        # the secret in the Authorization header (the standard's default) unless the provider takes it only in the
        # form's body
        offered = self.metadata().get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        method = "client_secret_post" if "client_secret_post" in offered and "client_secret_basic" not in offered \
            else "client_secret_basic"
        return OAuth2Session(self.settings.client_id, self.settings.client_secret,
                             scope=" ".join(self.settings.scopes), redirect_uri=self.redirect_uri,
                             code_challenge_method="S256", token_endpoint_auth_method=method)

    def begin(self, next_path: str) -> tuple[str, Pending]:
        """The provider's address to send the browser to, and what to keep until it comes back."""
        pending = Pending(generate_token(32), generate_token(32), generate_token(64), next_path)
        url, _ = self._client().create_authorization_url(self.metadata()["authorization_endpoint"],
                                                         state=pending.state, nonce=pending.nonce,
                                                         code_verifier=pending.verifier)
        return url, pending

    def finish(self, pending: Pending, code: str) -> User:
        """Swap the code for tokens and check the ID token; the user it names, or SignInFailed saying why."""
        meta = self.metadata()
        client = self._client()
        try:
            tokens = client.fetch_token(meta["token_endpoint"], code=code, code_verifier=pending.verifier,
                                        timeout=TIMEOUT)
        except Exception as e:  # Authlib raises its own errors and requests' alike: all are a refused exchange
            raise SignInFailed(f"the sign-in service did not accept the sign-in code ({_short(e)})") from e
        finally:
            client.close()
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed("the sign-in service sent no ID token: is the scope 'openid' asked for?")
        return user_of(self.verify(id_token, pending.nonce))

    def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, expiry and nonce have been checked."""
        token = self._decode(id_token)
        claims = token.claims
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY, iss={"essential": True, "value": self.metadata()["issuer"]},
            aud={"essential": True, "value": self.settings.client_id}, exp={"essential": True},
            nonce={"essential": True, "value": nonce})
        try:
            registry.validate(claims)
        except JoseError as e:
            raise SignInFailed(_claim_problem(e, claims)) from e
        return claims

    def _decode(self, id_token: str) -> jwt.Token:
        for refresh in (False, True):  # the provider may have rolled its keys: fetch them again once
            try:
                return jwt.decode(id_token, self.keys(refresh), algorithms=ALGORITHMS)
            except JoseError as e:
                if refresh:
                    raise SignInFailed(f"the ID token's signature is not the sign-in service's ({e.error})") from e
            except ValueError as e:  # not a JWT at all
                raise SignInFailed(f"the ID token cannot be read ({_short(e)})") from e
        raise AssertionError("unreachable")


def user_of(claims: dict[str, Any]) -> User:
    """The user an ID token names: by its `email`, else its `preferred_username` (a UPN in Entra ID), lower case."""
    name = claims.get("email") or claims.get("preferred_username")
    if not isinstance(name, str) or not name.strip():
        raise SignInFailed("the ID token names no e-mail address or user name (claims 'email' or "
                           "'preferred_username'): ask the sign-in service's administrator to add one")
    display = claims.get("name")
    name = name.strip().lower()
    return User(name, display.strip() if isinstance(display, str) and display.strip() else name)


def _claim_problem(e: JoseError, claims: dict[str, Any]) -> str:
    said = {"invalid_claim": "has a wrong value", "missing_claim": "is missing", "expired_token": "has expired",
            "invalid_token": "is not valid yet"}
    claim = getattr(e, "claim", None) or ("exp" if e.error == "expired_token" else "")
    names = {"iss": "issuer", "aud": "audience", "exp": "expiry", "nonce": "nonce", "iat": "time of issue"}
    if e.error == "expired_token":
        return "the ID token has expired (is this server's clock right?)"
    what = names.get(claim, claim or "a claim")
    return f"the ID token's {what} {said.get(e.error, 'is wrong')}"


def _short(e: Exception) -> str:
    text = " ".join(str(e).split()) or e.__class__.__name__
    return text[:200]
