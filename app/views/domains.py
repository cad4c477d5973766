"""« Mes domaines » : a technical administrator with the SERV family proves the structure controls a domain."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, render_template, request, url_for
from sqlmodel import select

from app.db import after_commit, get_session
from app.domain.domain_control import (
    DNS_LABEL,
    HTTP_PATH,
    METHODS,
    expected_value,
    policy_on,
    proof_valid_until,
)
from app.domain.inputs import parse_id
from app.domain.refusals import Refusal
from app.models import DomainControl, Structure
from app.models.base import aware, utcnow
from app.operations import domain_control
from app.web.administered import administered_structures
from app.web.quotas import check_domain_quota
from app.web.refusals import on_refusal
from app.web.rendering import render, success
from app.web.security import requires

bp = Blueprint("domains", __name__, url_prefix="/certificats/domaines")


def _serv_structures() -> list[Structure]:
    return administered_structures("SERV")


def checker() -> domain_control.Checker:
    return domain_control.checker_for(current_app.config["SETTINGS"])


def _page(status: int = 200, **extra):
    structures = _serv_structures()
    controls = get_session().exec(select(DomainControl).where(
        DomainControl.structure_id.in_([s.id for s in structures])).order_by(DomainControl.id.desc())).all()
    names = {s.id: s.name for s in structures}
    rows = [_row(c, names) for c in controls]
    now = utcnow()
    return render("certificates/domains.html", structures=structures, rows=rows, methods=METHODS, now=now,
                  policy=policy_on(now.date()), status=status, **({"errors": {}, "values": {}, "failed": None} | extra))


def _row(c: DomainControl, names: dict) -> dict:
    return {"control": c, "structure": names[c.structure_id], "value": expected_value(c.token),
            "record": f"{DNS_LABEL}.{c.name}", "path": f"{HTTP_PATH}{c.token}",
            "until": proof_valid_until(aware(c.validated_at)) if c.validated_at else None}


@bp.get("")
@requires("certificate.order")
def index():
    return _page()


@bp.post("")
@requires("certificate.order")
def ask():
    form = request.form
    structure = next((s for s in _serv_structures() if s.id == parse_id(form.get("structure", ""))), None)
    values = {"structure": form.get("structure", ""), "domaine": form.get("domaine", ""),
              "methode": form.get("methode", "")}
    on_refusal(lambda refusal: _page(errors=refusal.errors, values=values))
    if structure is None:
        raise Refusal("Choisissez une structure dont vous administrez la famille SERV.", field="structure")
    control = domain_control.ask(get_session(), structure, text=form.get("domaine", ""),
                                 method=form.get("methode", ""), actor=g.actor.national_id)
    flash(f"Vérification de {control.name} préparée : publiez la valeur indiquée, puis « Vérifier ».", "success")
    return success(url_for("domains.index") + f"#domaine-{control.id}")


def control_target(control_id: int, **_ignored) -> DomainControl:
    control = get_session().get(DomainControl, control_id)
    if control is None or control.structure_id not in {s.id for s in _serv_structures()}:
        abort(404)
    return control


@bp.post("/<int:control_id>/verifier")
@requires("certificate.order")
def verify(control_id: int):
    """« Vérifier »: the look runs on the job engine (issue 29.1); the page shows it under way, then its outcome."""
    control = control_target(control_id)
    if control.validated_at is not None:
        flash(f"Le domaine {control.name} est déjà vérifié.", "info")
        return success(url_for("domains.index") + f"#domaine-{control_id}")
    wait = check_domain_quota(control.structure_id)
    if wait is not None:
        return _page(status=429, failed={"id": control_id, "message": (
            f"Trop de vérifications pour cette structure : réessayez dans {wait // 60 + 1} minute(s).")})
    if domain_control.ask_check(get_session(), control):
        after_commit(lambda control_id=control.id, by=g.actor.national_id: current_app.extensions["jobs"].enqueue(
            "domain-check", control_id=control_id, by=by))
    return success(url_for("domains.index") + f"#domaine-{control_id}")


@bp.get("/<int:control_id>")
@requires("certificate.order")
def row(control_id: int):
    """One domain's card alone: what the page's polling asks while a check is under way."""
    control = control_target(control_id)
    names = {s.id: s.name for s in _serv_structures()}
    return render_template("certificates/_domain.html", row=_row(control, names), methods=METHODS, now=utcnow(),
                           failed=None)
