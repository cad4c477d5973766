"""The agencies' statistics: the ANSM's per product (compassionate access and what follows it), the ANS's per form;
charts drawn on the server, each with its data table and the page's figures as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for
from sqlmodel import select

from app.db import get_session
from app.documents.spreadsheet import csv_chunks
from app.domain.forms.catalogue import FORMS
from app.models import ReferentialMedicine
from app.models.base import utcnow
from app.operations import statistics
from app.web.charts import draw, month_label
from app.web.rendering import render
from app.web.security import requires

bp = Blueprint("statistics", __name__, url_prefix="/statistiques")
PERIODS = {"12": "12 derniers mois", "24": "24 derniers mois", "6": "6 derniers mois"}


def _months() -> list[str]:
    period = request.args.get("periode", "12")
    return statistics.last_months(utcnow().date(), int(period) if period in PERIODS else 12)


def _ansm():
    db = get_session()
    products = db.exec(select(ReferentialMedicine.code, ReferentialMedicine.name)
                       .where(ReferentialMedicine.status.in_(("AAC", "CPC")))
                       .order_by(ReferentialMedicine.name)).all()
    chosen = request.args.get("produit", "")
    chosen = chosen if chosen in {code for code, _ in products} | {statistics.OFF_REFERENTIAL} else ""
    months = _months()
    return months, chosen, products, statistics.agency_view(db, "AAC", chosen or None, months)


def _ans():
    forms = [(code, f"{code} – {spec.title}") for code, spec in FORMS.items()]
    chosen = request.args.get("formulaire", "")
    chosen = chosen if chosen in FORMS else forms[0][0]
    months = _months()
    return months, chosen, forms, statistics.agency_view(get_session(), chosen, None, months)


@bp.get("/ansm")
@requires("statistics.ansm")
def ansm():
    """Per product and over time: requests, automatic and evaluated decisions, grants and refusals with their
    motives, the time to a decision, follow-up on time and late, adverse effects."""
    months, chosen, products, indicators = _ansm()
    return render("statistics/page.html", agency="ansm", months=months, chosen=chosen, choices=products,
                  drawings=[draw(i, months) for i in indicators], period=request.args.get("periode", "12"),
                  periods=PERIODS, month_label=month_label, choice_name="produit",
                  choice_label="Produit", everything="Tous les produits",
                  csv_url=url_for("statistics.ansm_csv", **({"produit": chosen} if chosen else {}),
                                  periode=request.args.get("periode", "12")))


@bp.get("/ans")
@requires("statistics.ans")
def ans():
    """Per form: deposits, the time from deposit to decision, corrections asked, cards ordered and made."""
    months, chosen, forms, indicators = _ans()
    return render("statistics/page.html", agency="ans", months=months, chosen=chosen, choices=forms,
                  drawings=[draw(i, months) for i in indicators], period=request.args.get("periode", "12"),
                  periods=PERIODS, month_label=month_label, choice_name="formulaire", choice_label="Formulaire",
                  everything=None, csv_url=url_for("statistics.ans_csv", formulaire=chosen,
                                                   periode=request.args.get("periode", "12")))


def _csv(months, indicators, name: str) -> Response:
    rows = [(indicator.title, label, month, "" if value is None else value) for indicator in indicators
            for label, values in indicator.series for month, value in zip(months, values, strict=True)]
    response = Response("".join(csv_chunks(("Indicateur", "Série", "Mois", "Valeur"), [rows])), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{utcnow():%Y%m%d}.csv"'
    return response


@bp.get("/ansm.csv")
@requires("statistics.ansm")
def ansm_csv():
    months, chosen, _, indicators = _ansm()
    return _csv(months, indicators, f"statistiques-ansm{'-' + chosen if chosen else ''}")


@bp.get("/ans.csv")
@requires("statistics.ans")
def ans_csv():
    months, chosen, _, indicators = _ans()
    return _csv(months, indicators, f"statistiques-ans-{chosen}")
