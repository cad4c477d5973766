"""OpenID Connect client for Pro Santé Connect, built on Authlib's requests client and joserfc.

Only a discovery URL is assumed: PSC serves it at a non-standard path and its authorize endpoint on
another host than its issuer, so every endpoint comes from the discovery document. The web layer keeps
the :class:`PendingLogin` between :meth:`PscClient.begin` and :meth:`PscClient.complete`.
"""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .claims import identity_from_userinfo
from .identity import IdentityError, ProfessionalIdentity

ACR_LEVELS = {"eidas1": 1, "eidas2": 2, "eidas3": 3}
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
METADATA_TTL = 3600


class PscError(Exception):
    """The login did not go through; ``str(exc)`` is a French message for the user."""


@dataclass(frozen=True)
class PscConfig:
    discovery_url: str
    client_id: str
    client_secret: str = ""
    scope: str = "openid scope_all"
    acr_values: str = "eidas1"
    client_auth: str = "client_secret_basic"  # or tls_client_auth
    tls_cert: str = ""  # ORG AUTH_CLI certificate and key files, for tls_client_auth
    tls_key: str = ""
    timeout: float = 10.0
    issuer: str = ""  # expected issuer; when set, the discovery document and every token must name it


@dataclass(frozen=True)
class PendingLogin:
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    started_at: float

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PendingLogin:
        return cls(**data)


def pending_matches(pending: PendingLogin | None, state: str | None) -> bool:
    """Whether a callback's ``state`` answers the login this browser started."""
    return bool(pending and state and hmac.compare_digest(state.encode(), pending.state.encode()))


@dataclass(frozen=True)
class LoginResult:
    identity: ProfessionalIdentity
    id_token: str
    acr: str


class PscClient:
    """Authorization code flow with PKCE S256, state and nonce, against any discovered provider."""

    def __init__(self, config: PscConfig, http: requests.Session | None = None):
        self.config = config
        self.http = http or requests.Session()
        if config.client_auth == "tls_client_auth":
            self.http.cert = (config.tls_cert, config.tls_key)
        self._lock = threading.Lock()
        self._metadata: dict | None = None
        self._metadata_at = 0.0
        self._jwks: KeySet | None = None

    # Discovery and keys ---------------------------------------------------------------------------

    def metadata(self) -> dict:
        with self._lock:
            if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_TTL:
                doc = self._get_json(self.config.discovery_url)
                for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not doc.get(key):
                        raise PscError("Le fournisseur d’identité a publié une configuration incomplète.")
                if self.config.issuer and doc["issuer"] != self.config.issuer:
                    raise PscError("Le fournisseur d’identité n’est pas celui attendu (émetteur différent).")
                self._metadata, self._metadata_at, self._jwks = doc, time.monotonic(), None
            return self._metadata

    def _keyset(self, refresh: bool = False) -> KeySet:
        if self._jwks is None or refresh:
            self._jwks = KeySet.import_key_set(self._get_json(self.metadata()["jwks_uri"]))
        return self._jwks

    def _get_json(self, url: str) -> dict:
        try:
            response = self.http.get(url, timeout=self.config.timeout)
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError):
            raise PscError("Pro Santé Connect ne répond pas. Réessayez dans quelques minutes.") from None

    def _decode(self, value: str):
        """Verify a JWS with the provider's keys, fetching them afresh once on failure (key rollover)."""
        for refresh in (False, True):
            try:
                return jwt.decode(value, self._keyset(refresh), algorithms=ALGORITHMS)
            except (JoseError, ValueError):
                continue
        raise PscError("La signature du jeton de Pro Santé Connect est invalide.")

    # Flow -----------------------------------------------------------------------------------------

    def _session(self, redirect_uri: str) -> OAuth2Session:
        method = "none" if self.config.client_auth == "tls_client_auth" else self.config.client_auth
        session = OAuth2Session(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret or None,
            token_endpoint_auth_method=method,
            scope=self.config.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            default_timeout=self.config.timeout,
        )
        session.cert = self.http.cert
        session.verify = self.http.verify
        session.trust_env = self.http.trust_env
        return session

    def _token_endpoint(self, meta: dict) -> str:
        """With mutual TLS, the provider may publish its token endpoint on another host (RFC 8705 aliases)."""
        if self.config.client_auth == "tls_client_auth":
            return (meta.get("mtls_endpoint_aliases") or {}).get("token_endpoint") or meta["token_endpoint"]
        return meta["token_endpoint"]

    def begin(self, redirect_uri: str) -> tuple[str, PendingLogin]:
        """The authorize URL to send the browser to, and what to keep until the callback."""
        pending = PendingLogin(state=generate_token(32), nonce=generate_token(32),
                               code_verifier=generate_token(64), redirect_uri=redirect_uri,
                               started_at=time.time())
        url, _ = self._session(redirect_uri).create_authorization_url(
            self.metadata()["authorization_endpoint"], state=pending.state, code_verifier=pending.code_verifier,
            nonce=pending.nonce, acr_values=self.config.acr_values,
        )
        return url, pending

    def complete(self, params: dict, pending: PendingLogin | None) -> LoginResult:
        """Check the callback, exchange the code, verify the ID token and read userinfo."""
        if not pending_matches(pending, params.get("state")):
            raise PscError("La réponse de Pro Santé Connect ne correspond à aucune connexion en cours.")
        if params.get("error"):
            raise PscError("La connexion a été annulée ou refusée par Pro Santé Connect.")
        if time.time() - pending.started_at > 600:
            raise PscError("La connexion a pris trop de temps : recommencez.")
        code = params.get("code")
        if not code:
            raise PscError("Pro Santé Connect n’a pas renvoyé de code d’autorisation.")
        meta = self.metadata()
        session = self._session(pending.redirect_uri)
        try:
            token = session.fetch_token(self._token_endpoint(meta), code=code, code_verifier=pending.code_verifier,
                                        grant_type="authorization_code")
        except (OAuthError, requests.RequestException, ValueError):
            raise PscError("Pro Santé Connect a refusé le code d’autorisation (déjà utilisé ou expiré).") from None
        id_token = token.get("id_token")
        if not id_token:
            raise PscError("Pro Santé Connect n’a pas renvoyé de jeton d’identité.")
        claims = self._verify_id_token(id_token, pending.nonce)
        userinfo = self._userinfo(session, meta)
        if userinfo.get("sub") != claims["sub"]:  # OIDC Core 5.3.2: absent or different, refuse
            raise PscError("Les informations de Pro Santé Connect ne concernent pas la personne connectée.")
        try:
            identity = identity_from_userinfo(userinfo)
        except IdentityError as exc:
            raise PscError(str(exc)) from None
        return LoginResult(identity=identity, id_token=id_token, acr=claims["acr"])

    def _verify_id_token(self, id_token: str, nonce: str) -> dict:
        claims = self._decode(id_token).claims
        registry = jwt.JWTClaimsRegistry(
            leeway=30,
            iss={"essential": True, "value": self.metadata()["issuer"]},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise PscError(f"Le jeton d’identité de Pro Santé Connect est refusé ({exc.error}).") from None
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.config.client_id not in audiences:
            raise PscError("Le jeton d’identité n’est pas destiné à ce portail.")
        if len(audiences) > 1 and claims.get("azp") != self.config.client_id:
            raise PscError("Le jeton d’identité n’est pas destiné à ce portail.")
        required = ACR_LEVELS.get(self.config.acr_values.split()[0], 1)
        if ACR_LEVELS.get(claims.get("acr") or "", 0) < required:
            raise PscError("Le niveau d’authentification est insuffisant : connectez-vous avec votre carte CPS "
                           "ou votre e-CPS (niveau eIDAS substantiel).")
        return claims

    def _userinfo(self, session: OAuth2Session, meta: dict) -> dict:
        endpoint = meta.get("userinfo_endpoint")
        if not endpoint:
            raise PscError("Pro Santé Connect ne publie pas de point d’accès aux informations du professionnel.")
        try:
            response = session.get(endpoint, timeout=self.config.timeout)
            response.raise_for_status()
        except (OAuthError, requests.RequestException):
            raise PscError("Pro Santé Connect n’a pas fourni les informations du professionnel.") from None
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/jwt":
            claims = self._decode(response.text.strip()).claims
            if claims.get("iss") != meta["issuer"]:
                raise PscError("Les informations du professionnel ne viennent pas de Pro Santé Connect.")
            aud = claims.get("aud")
            if self.config.client_id not in (aud if isinstance(aud, list) else [aud]):
                raise PscError("Les informations du professionnel ne sont pas destinées à ce portail.")
            return claims
        try:
            return response.json()
        except ValueError:
            raise PscError("Pro Santé Connect a renvoyé des informations illisibles.") from None

    def logout_url(self, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """The provider's end-session URL, or None when it publishes none."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except PscError:
            return None
        if not endpoint:
            return None
        query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": post_logout_redirect_uri})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
