"""Public pages and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, url_for

from app.web.rendering import render

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    tiles = [
        {"title": "Référentiel des spécialités", "detail": "Médicaments en AAC, AAP et CPC",
         "url": url_for("referential.index")},
    ]
    return render("main/home.html", tiles=tiles)


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. A dependency down never takes a node out of rotation by itself: pages
    that do not need it still work; /readyz says which capability is down."""
    return jsonify({"status": "ok"})


CAPABILITIES = ("base", "hsm", "limites")


def _capabilities() -> dict[str, str]:
    from app.extensions import limiter

    hsm = current_app.extensions["hsm"].status()
    storage_ok = not getattr(limiter, "_storage_dead", False)
    if storage_ok:
        try:
            storage_ok = bool(limiter.storage.check())
        except Exception:  # noqa: BLE001 - any storage error means the memory fallback serves
            storage_ok = False
    return {"base": "ok" if current_app.extensions["db"].ping()["ok"] else "down",
            "hsm": "ok" if hsm["ok"] and hsm.get("keys") else "down",
            "limites": "ok" if storage_ok else "memoire"}


@bp.get("/readyz")
@bp.get("/readyz/<any(base, hsm, limites):capability>")
def readyz(capability: str | None = None):
    """Readiness per capability, for a load balancer: ``/readyz`` is 503 only when the database is down (no page
    works then); ``/readyz/hsm`` when signing is down (deposits, decisions, certificates: route them elsewhere);
    ``/readyz/limites`` when rate limits fell back to per-process memory. Nothing about paths, labels or errors."""
    states = _capabilities()
    if capability is not None:
        return jsonify({capability: states[capability]}), 200 if states[capability] == "ok" else 503
    status = "ok" if all(v == "ok" for v in states.values()) else "down" if states["base"] != "ok" else "degraded"
    return jsonify({"status": status, **states}), 503 if status == "down" else 200


@bp.get("/accessibilite")
def accessibility():
    return render("main/accessibility.html", legal=current_app.config["SETTINGS"])


@bp.get("/mentions-legales")
def legal():
    return render("main/legal.html", legal=current_app.config["SETTINGS"])


@bp.get("/conditions-acme")
def acme_terms():
    """The terms of use the ACME directory points to (``meta.termsOfService``)."""
    settings = current_app.config["SETTINGS"]
    return render("main/acme_terms.html", legal=settings, caa=settings.caa_issuer)
