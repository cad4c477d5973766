"""The laboratory's products (counts, pseudonymised export, periodic reports) and the evaluator's validation of
those reports."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, current_app, flash, g, request, send_file, stream_with_context, url_for
from sqlmodel import select

from app import metrics
from app.db import after_commit, get_session
from app.domain.follow_up import REPORT_MACHINE, REPORT_STATES
from app.models import Filing, ReferentialMedicine
from app.models.base import utcnow
from app.operations import reports
from app.operations.reports import LoadedProduct, LoadedReport
from app.web.refusals import on_refusal
from app.web.rendering import render, success
from app.web.security import requires

bp = Blueprint("laboratory", __name__)


def product_target(code: str, **_ignored) -> LoadedProduct:
    medicine = get_session().exec(select(ReferentialMedicine).where(ReferentialMedicine.code == code[:20])).first()
    if medicine is None:
        abort(404)
    return LoadedProduct(medicine)


def report_target(report_id: int, **_ignored) -> LoadedReport:
    db = get_session()
    report = db.get(Filing, report_id, with_for_update=request.method == "POST")
    if report is None or report.form != "RSP":
        abort(404)
    return LoadedReport(report, db.exec(select(ReferentialMedicine).where(
        ReferentialMedicine.code == report.payload.get("produit", ""))).first())


def _key() -> bytes:
    return hashlib.sha256(b"pseudonymes-laboratoire:" + current_app.config["SECRET_KEY"].encode()).digest()


@bp.get("/laboratoire/")
@requires("aac.laboratory_inbox")
def index():
    """The laboratory's products: patients followed, forms on time and late, adverse effects, its reports."""
    db = get_session()
    products = db.exec(select(ReferentialMedicine).where(
        ReferentialMedicine.laboratory.in_(sorted(g.actor.laboratories))).order_by(ReferentialMedicine.name)).all()
    rows = db.exec(select(Filing).where(Filing.form == "RSP", Filing.payload["produit"].as_string().in_(
        [p.code for p in products] or [""])).order_by(Filing.id.desc()).limit(50)).all()
    return render("laboratory/index.html", products=products, counts={p.code: reports.counts(db, p.code)
                                                                      for p in products},
                  reports=rows, states=REPORT_STATES,
                  next_due={p.code: reports.next_report_due(db, p) for p in products})


@bp.get("/laboratoire/<code>/donnees.csv")
@requires("laboratory.product", target=product_target)
def export(code: str, target: LoadedProduct):
    """Pseudonymised: no initials, no prescriber, no establishment, no reference of the files."""
    response = Response(stream_with_context(reports.export_rows(get_session(), target.medicine.code, _key())),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = (f'attachment; filename="suivi-{target.medicine.code}-'
                                               f'{utcnow():%Y%m%d}.csv"')
    return response


@bp.route("/laboratoire/<code>/rapport", methods=["GET", "POST"])
@requires("laboratory.product", target=product_target)
def file_report(code: str, target: LoadedProduct):
    """File the periodic synthesis report (PDF and the summary the ANSM will publish)."""
    values = request.form if request.method == "POST" else {}
    on_refusal(lambda refusal: render("laboratory/report_form.html", medicine=target.medicine, values=values,
                                      errors=refusal.errors), target.medicine)
    if request.method == "POST":
        report = reports.file_report(get_session(), target.medicine, request.form, request.files.get("rapport"),
                                     person_id=g.actor.person_id, actor=g.actor.national_id,
                                     max_bytes=current_app.config["SETTINGS"].attachment_max_bytes)
        after_commit(lambda: metrics.AFTER_DECISION.labels("RSP", "deposee").inc())
        flash(f"Rapport {report.reference} déposé\u00a0: l’ANSM le valide ou vous demande des modifications.",
              "success")
        return success(url_for("laboratory.report", report_id=report.id))
    return render("laboratory/report_form.html", medicine=target.medicine, values=values, errors={})


@bp.get("/rapports/")
@requires("report.evaluate")
def reports_queue():
    db = get_session()
    rows = db.exec(select(Filing).where(Filing.form == "RSP", Filing.state != "brouillon")
                   .order_by(Filing.state != "deposee", Filing.id.desc()).limit(200)).all()
    names = dict(db.exec(select(ReferentialMedicine.code, ReferentialMedicine.name).where(
        ReferentialMedicine.code.in_({r.payload.get("produit", "") for r in rows} or {""}))).all())
    return render("laboratory/queue.html", rows=rows, states=REPORT_STATES, names=names)


def _report_page(target: LoadedReport, error: str | None = None, posted=None):
    from app.operations.casefiles import history

    db = get_session()
    evaluator = "ansm_evaluator" in g.actor.agency_roles
    return render("laboratory/report.html", target=target, states=REPORT_STATES, events=history(db, target.report.id),
                  actions=REPORT_MACHINE.available(target.report.state, "evaluateur") if evaluator else [],
                  lab=target.laboratory in g.actor.laboratories, error=error, posted=posted or {},
                  piece=reports.report_file(db, target.report))


@bp.get("/rapports/<int:report_id>")
@requires("report.view", target=report_target)
def report(report_id: int, target: LoadedReport):
    return _report_page(target)


@bp.get("/rapports/<int:report_id>/rapport.pdf")
@requires("report.view", target=report_target)
def report_pdf(report_id: int, target: LoadedReport):
    from io import BytesIO

    from app.operations.attachments import find

    row, data = find(get_session(), report_id, target.report.payload.get("piece") or 0)
    return send_file(BytesIO(data), mimetype=row.content_type, as_attachment=True,
                     download_name=f"{target.report.reference}.pdf")


@bp.post("/rapports/<int:report_id>/<verb>")
@requires("report.evaluate", target=report_target)
def decide(report_id: int, verb: str, target: LoadedReport):
    if verb not in ("valider", "demander_modifications") or target.medicine is None:
        abort(404)
    on_refusal(lambda refusal: _report_page(target, error=str(refusal), posted=request.form), target.report,
               target.medicine)
    base = current_app.config["SETTINGS"].portal_base_url
    link = base + (url_for("referential.product", code=target.medicine.code) if verb == "valider"
                   else url_for("laboratory.report_again", report_id=report_id))
    reports.decide(get_session(), target, verb, agent=g.actor, message=request.form.get("message", ""), link=link)
    after_commit(lambda: metrics.AFTER_DECISION.labels("RSP", target.report.state).inc())
    flash(REPORT_MACHINE.transitions[verb].done, "success")
    return success(url_for("laboratory.report", report_id=report_id))


@bp.route("/rapports/<int:report_id>/deposer", methods=["GET", "POST"])
@requires("report.view", target=report_target)
def report_again(report_id: int, target: LoadedReport):
    """After changes were asked: the laboratory files the report again (a new PDF, the summary corrected)."""
    if target.laboratory not in g.actor.laboratories or target.report.state != "a_modifier":
        abort(403 if target.laboratory not in g.actor.laboratories else 409)
    values = request.form if request.method == "POST" else target.report.payload
    on_refusal(lambda refusal: render("laboratory/report_form.html", medicine=target.medicine, values=values,
                                      errors=refusal.errors, report=target.report), target.report)
    if request.method == "POST":
        reports.file_report(get_session(), target.medicine, request.form, request.files.get("rapport"),
                            person_id=g.actor.person_id, actor=g.actor.national_id, existing=target.report,
                            max_bytes=current_app.config["SETTINGS"].attachment_max_bytes)
        flash("Rapport déposé à nouveau.", "success")
        return success(url_for("laboratory.report", report_id=report_id))
    return render("laboratory/report_form.html", medicine=target.medicine, values=values, errors={},
                  report=target.report)
