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
    """Public: only up or down, nothing about paths, labels or errors (``flask preflight`` tells operators)."""
    database = current_app.extensions["db"].ping()["ok"]
    hsm = current_app.extensions["hsm"].status()["ok"]
    body = {"status": "ok" if database and hsm else "degraded", "database": "ok" if database else "down",
            "hsm": "ok" if hsm else "down"}
    return jsonify(body), 200 if database and hsm else 503


@bp.get("/accessibilite")
def accessibility():
    return render("main/accessibility.html", legal=current_app.config["SETTINGS"])


@bp.get("/mentions-legales")
def legal():
    return render("main/legal.html", legal=current_app.config["SETTINGS"])
