"""A Pro Santé Connect sandbox speaking real OpenID Connect over HTTP, like ANS's.

Discovery at PSC's non-standard path, authorize on another host name than the issuer (``localhost``
vs ``127.0.0.1``), RS256 tokens, 120-second access tokens, userinfo as a signed JWT or JSON, and a
login page listing the seeds' test identities with the card (PIN) or e-CPS (phone approval) paths.

Run it with ``gunicorn 'psc_sandbox:create_sandbox_app()'`` (one process: its state is in memory).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, abort, jsonify, redirect, render_template, request
from joserfc import jwt
from joserfc.jwk import RSAKey

from . import identities
from .store import ACCESS_TOKEN_TTL, Store

REALM_PATH = "/auth/realms/esante-wallet"
FAULTS = {"wrong_issuer", "wrong_audience", "expired", "bad_signature", "nonce_mismatch", "acr_low",
          "acr_missing", "userinfo_bad_signature", "no_subject", "userinfo_json", "userinfo_other_sub",
          "userinfo_no_sub", "userinfo_no_iss", "userinfo_no_aud", "left_structures"}


def _settings() -> dict:
    from app.config import Settings

    portal = Settings.from_env()
    portal.resolve_secrets()
    port = os.environ.get("PSC_SANDBOX_PORT", "8001")
    return {
        "issuer": os.environ.get("PSC_SANDBOX_ISSUER", f"http://127.0.0.1:{port}{REALM_PATH}"),
        "wallet_url": os.environ.get("PSC_SANDBOX_WALLET_URL", f"http://localhost:{port}"),
        "client_id": os.environ.get("PSC_CLIENT_ID", "portail-sante"),
        "client_secret": portal.psc_client_secret,
        "redirect_uris": os.environ.get("PSC_SANDBOX_REDIRECT_URIS",
                                        f"{portal.portal_base_url}/auth/psc/callback").split(),
        "post_logout_uris": os.environ.get("PSC_SANDBOX_POST_LOGOUT_URIS", f"{portal.portal_base_url}/").split(),
        "userinfo_format": os.environ.get("PSC_SANDBOX_USERINFO", "jwt"),
        "faults_enabled": os.environ.get("PSC_SANDBOX_FAULTS") == "1",
        # tls_client_auth (RFC 8705): token endpoint alias behind a TLS proxy that verifies client certificates
        "mtls_url": os.environ.get("PSC_SANDBOX_MTLS_URL", ""),
        "mtls_proxy_secret": os.environ.get("PSC_SANDBOX_MTLS_PROXY_SECRET", ""),
        "tls_client_subject": os.environ.get("PSC_SANDBOX_TLS_SUBJECT", ""),
        "registry": portal.psc_sandbox_registry,  # cards activated since the seeds
    }


def _new_key(kid: str) -> RSAKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return RSAKey.import_key(private, {"kid": kid, "use": "sig", "alg": "RS256"})


def create_sandbox_app(settings: dict | None = None) -> Flask:
    cfg = {**_settings(), **(settings or {})}
    if not cfg["client_secret"]:
        raise SystemExit("psc-sandbox : PSC_CLIENT_SECRET manquant (le même que celui du portail).")
    app = Flask(__name__, static_folder=os.path.join(os.path.dirname(__file__), "..", "app", "static"),
                static_url_path="/static")
    app.config.update(SANDBOX=cfg)
    identities.REGISTRY = Path(cfg["registry"]) if cfg.get("registry") else None
    store = Store()
    key = _new_key("sandbox-1")
    rogue_key = _new_key("sandbox-1")  # same kid, other key: a forged signature
    issuer_path = urlsplit(cfg["issuer"]).path

    def endpoint(path: str) -> str:
        return f"{cfg['issuer']}{path}"

    def sign(claims: dict, forged: bool = False) -> str:
        return jwt.encode({"alg": "RS256", "kid": "sandbox-1"}, claims, rogue_key if forged else key)

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get(f"{issuer_path}/.well-known/wallet-openid-configuration")
    def discovery():
        aliases = ({"mtls_endpoint_aliases": {
            "token_endpoint": f"{cfg['mtls_url']}{issuer_path}/protocol/openid-connect/token"}}
            if cfg["mtls_url"] else {})
        return jsonify({
            **aliases,
            "issuer": cfg["issuer"],
            "authorization_endpoint": f"{cfg['wallet_url']}/auth",
            "token_endpoint": endpoint("/protocol/openid-connect/token"),
            "userinfo_endpoint": endpoint("/protocol/openid-connect/userinfo"),
            "jwks_uri": endpoint("/protocol/openid-connect/certs"),
            "end_session_endpoint": endpoint("/protocol/openid-connect/logout"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "tls_client_auth"],
            "acr_values_supported": ["eidas1", "eidas2", "eidas3"],
            "scopes_supported": ["openid", "scope_all"],
        })

    @app.get(f"{issuer_path}/protocol/openid-connect/certs")
    def jwks():
        return jsonify({"keys": [key.as_dict(private=False)]})

    # Browser side ---------------------------------------------------------------------------------

    @app.get("/auth")
    def authorize():
        args = request.args
        if args.get("client_id") != cfg["client_id"] or args.get("redirect_uri") not in cfg["redirect_uris"]:
            return render_template("sandbox/error.html", message="Client ou adresse de retour inconnus."), 400
        if (args.get("response_type") != "code" or "openid" not in args.get("scope", "").split()
                or args.get("code_challenge_method") != "S256" or not args.get("code_challenge")
                or not args.get("state") or not args.get("nonce")):
            return _error_redirect(args.get("redirect_uri"), args.get("state"), "invalid_request")
        req = store.new_request(client_id=args["client_id"], redirect_uri=args["redirect_uri"],
                                state=args["state"], nonce=args["nonce"], code_challenge=args["code_challenge"],
                                acr_values=args.get("acr_values", ""))
        return render_template("sandbox/login.html", req=req, people=identities.identities(),
                               display_name=identities.display_name, blocked=store.card_blocked,
                               usable=identities.card_usable)

    @app.post("/auth/<req_id>/choose")
    def choose(req_id):
        req = store.requests.get(req_id) or abort(404)
        ident = identities.find(request.form.get("national_id", ""))
        if ident is None:
            return render_template("sandbox/login.html", req=req, people=identities.identities(),
                                   display_name=identities.display_name, blocked=store.card_blocked,
                                   usable=identities.card_usable, error="Choisissez une identité de test."), 422
        req.national_id = ident["national_id"]
        if request.form.get("method") == "mobile":
            req.auth_mode = "MOBILE"
            return redirect(f"/auth/{req.id}/mobile", code=303)
        req.auth_mode = "CARD"
        return redirect(f"/auth/{req.id}/pin", code=303)

    @app.route("/auth/<req_id>/pin", methods=["GET", "POST"])
    def pin(req_id):
        req = store.requests.get(req_id) or abort(404)
        ident = identities.find(req.national_id) or abort(404)
        name = identities.display_name(ident)
        if not identities.card_usable(ident):
            return render_template("sandbox/pin.html", req=req, name=name, ended=True), 403
        if store.card_blocked(req.national_id):
            return render_template("sandbox/pin.html", req=req, name=name, blocked=True), 403
        if request.method == "GET":
            return render_template("sandbox/pin.html", req=req, name=name)
        if request.form.get("pin") != identities.TEST_CARD_PIN:
            left = store.wrong_pin(req.national_id)
            if left == 0:
                return render_template("sandbox/pin.html", req=req, name=name, blocked=True), 403
            return render_template("sandbox/pin.html", req=req, name=name, tries_left=left), 422
        store.right_pin(req.national_id)
        return _code_redirect(req)

    @app.get("/auth/<req_id>/mobile")
    def mobile_wait(req_id):
        req = store.requests.get(req_id) or abort(404)
        if req.approved:
            return _code_redirect(req)
        ident = identities.find(req.national_id) or abort(404)
        return render_template("sandbox/mobile_wait.html", req=req, name=identities.display_name(ident))

    @app.get("/auth/<req_id>/mobile/status")
    def mobile_status(req_id):
        req = store.requests.get(req_id) or abort(404)
        if not req.approved:
            return "", 204
        # An XHR would follow a 303 itself and spend the code: htmx gets the address instead.
        location = _code_redirect(req).headers["Location"]
        return "", 200, {"HX-Redirect": location}

    @app.route("/mobile/<req_id>", methods=["GET", "POST"])
    def phone(req_id):
        """What the e-CPS app does on the phone: show the request, approve it."""
        req = store.requests.get(req_id) or abort(404)
        ident = identities.find(req.national_id) or abort(404)
        if request.method == "POST":
            req.approved = True
            return render_template("sandbox/phone.html", req=req, name=identities.display_name(ident), done=True)
        return render_template("sandbox/phone.html", req=req, name=identities.display_name(ident))

    def _code_redirect(req):
        code = store.issue_code(req)
        return redirect(f"{req.redirect_uri}?{urlencode({'code': code, 'state': req.state})}", code=303)

    def _error_redirect(uri, state, error):
        return redirect(f"{uri}?{urlencode({'error': error, 'state': state or ''})}", code=303)

    # Back channel ---------------------------------------------------------------------------------

    def client_authenticated() -> bool:
        auth = request.authorization
        if auth:
            return auth.username == cfg["client_id"] and secrets.compare_digest(auth.password or "",
                                                                                 cfg["client_secret"])
        return tls_client_authenticated()

    def tls_client_authenticated() -> bool:
        """RFC 8705 tls_client_auth: the proxy verified the certificate; its subject must be the registered one."""
        if not (cfg["mtls_proxy_secret"] and cfg["tls_client_subject"]):
            return False
        if not secrets.compare_digest(request.headers.get("X-Proxy-Secret", ""), cfg["mtls_proxy_secret"]):
            return False
        if request.headers.get("X-SSL-Client-Verify") != "SUCCESS":
            return False
        from urllib.parse import unquote

        from cryptography import x509

        try:
            cert = x509.load_pem_x509_certificate(unquote(request.headers.get("X-SSL-Client-Cert", "")).encode())
        except ValueError:
            return False
        return (request.form.get("client_id") == cfg["client_id"]
                and cert.subject.rfc4514_string() == cfg["tls_client_subject"])

    @app.post(f"{issuer_path}/protocol/openid-connect/token")
    def token():
        if not client_authenticated():
            return jsonify(error="invalid_client"), 401
        form = request.form
        if form.get("grant_type") != "authorization_code":
            return jsonify(error="unsupported_grant_type"), 400
        grant = store.redeem(form.get("code", ""))
        if grant is None:
            return jsonify(error="invalid_grant", error_description="code invalide, expiré ou déjà utilisé"), 400
        req = grant.request
        challenge = base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if form.get("redirect_uri") != req.redirect_uri or challenge.rstrip(b"=").decode() != req.code_challenge:
            return jsonify(error="invalid_grant", error_description="PKCE ou redirect_uri incorrect"), 400
        now = int(time.time())
        claims = {
            "iss": cfg["issuer"], "sub": req.national_id, "aud": req.client_id, "azp": req.client_id,
            "iat": now, "exp": now + ACCESS_TOKEN_TTL, "auth_time": now, "nonce": req.nonce, "acr": "eidas1",
            "SubjectNameID": req.national_id, "authMode": req.auth_mode,
        }
        if store.take_fault("wrong_issuer"):
            claims["iss"] = "https://faux-fournisseur.example/auth/realms/x"
        if store.take_fault("wrong_audience"):
            claims["aud"] = claims["azp"] = "un-autre-client"
        if store.take_fault("expired"):
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        if store.take_fault("nonce_mismatch"):
            claims["nonce"] = "autre-nonce"
        if store.take_fault("acr_low"):
            claims["acr"] = "eidas0"
        if store.take_fault("acr_missing"):
            del claims["acr"]
        id_token = sign(claims, forged=store.take_fault("bad_signature"))
        return jsonify(access_token=store.new_access_token(grant), token_type="Bearer",  # noqa: S106
                       expires_in=ACCESS_TOKEN_TTL, id_token=id_token, scope="openid scope_all")

    @app.get(f"{issuer_path}/protocol/openid-connect/userinfo")
    def userinfo():
        header = request.headers.get("Authorization", "")
        owner = store.token_owner(header[7:]) if header.startswith("Bearer ") else None
        if owner is None:
            return jsonify(error="invalid_token"), 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        national_id, auth_mode = owner
        claims = {"sub": national_id, **identities.psc_claims(identities.find(national_id), auth_mode)}
        if store.take_fault("no_subject"):
            claims["SubjectNameID"] = claims["preferred_username"] = ""
        if store.take_fault("userinfo_other_sub"):
            claims["sub"] = "899700000021"
        if store.take_fault("userinfo_no_sub"):
            del claims["sub"]
        if store.take_fault("left_structures"):  # still registered, but practising in none of its structures
            for exercise in claims["SubjectRefPro"]["exercices"]:
                exercise["activities"] = []
        if cfg["userinfo_format"] == "json" or store.take_fault("userinfo_json"):
            return jsonify(claims)
        claims.update({"iss": cfg["issuer"], "aud": cfg["client_id"], "iat": int(time.time())})
        for fault, claim in (("userinfo_no_iss", "iss"), ("userinfo_no_aud", "aud")):
            if store.take_fault(fault):
                del claims[claim]
        body = sign(claims, forged=store.take_fault("userinfo_bad_signature"))
        return body, 200, {"Content-Type": "application/jwt"}

    @app.get(f"{issuer_path}/protocol/openid-connect/logout")
    def end_session():
        target = request.args.get("post_logout_redirect_uri", "")
        if target in cfg["post_logout_uris"] and request.args.get("id_token_hint"):
            return redirect(target, code=303)
        return render_template("sandbox/error.html", message="Vous êtes déconnecté de Pro Santé Connect.")

    @app.post("/sandbox/faults")
    def faults():
        if not cfg["faults_enabled"]:
            abort(404)
        names = set(request.get_json(force=True).get("faults", [])) & FAULTS
        with store.lock:
            store.faults |= names
        return jsonify(sorted(store.faults))

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
