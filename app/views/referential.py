"""Public catalogue: référentiel des spécialités en accès dérogatoire (AAC, AAP, CPC)."""

from __future__ import annotations

from flask import Blueprint, request
from sqlmodel import select

from app.db import get_session
from app.models import ReferentialMedicine
from app.views.rendering import render

bp = Blueprint("referential", __name__, url_prefix="/referentiel")

STATUSES = {"AAC": "Autorisation d’accès compassionnel", "AAP": "Accès précoce",
            "CPC": "Cadre de prescription compassionnelle"}


@bp.get("/")
def index():
    status = request.args.get("statut", "")
    query = select(ReferentialMedicine).order_by(ReferentialMedicine.name)
    if status in STATUSES:
        query = query.where(ReferentialMedicine.status == status)
    medicines = get_session().exec(query).all()
    return render("referential/index.html", block="results" if request.headers.get("HX-Target") == "resultats"
                  else "content", medicines=medicines, statuses=STATUSES, selected=status)
