"""« Mes certificats » : the software certificates of every structure the user administers; details,
downloads, revocation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, g, request, url_for
from sqlmodel import select

from app.db import get_session
from app.domain.certificates import PROFILES
from app.domain.inputs import parse_id
from app.domain.products import CERTIFICATE_STATUSES, REVOCATION_REASONS, USAGES, certificate_status
from app.domain.refusals import Refusal
from app.models import IssuedCertificate, Structure
from app.models.base import utcnow
from app.operations import rights
from app.operations.pki import revoke_certificate
from app.web import certificate_files
from app.web.refusals import on_refusal
from app.web.rendering import render, success
from app.web.security import requires

bp = Blueprint("certificates", __name__, url_prefix="/certificats")
PAGE = 25


@dataclass(frozen=True)
class LoadedCertificate:
    certificate: IssuedCertificate
    structure: Structure

    @property
    def family(self) -> str:
        return PROFILES[self.certificate.profile].family


def certificate_target(certificate_id: int, **_ignored) -> LoadedCertificate:
    db = get_session()
    certificate = db.get(IssuedCertificate, certificate_id)
    if certificate is None or certificate.structure_id is None or certificate.profile not in PROFILES \
            or PROFILES[certificate.profile].family not in ("ORG", "SERV"):
        abort(404)
    return LoadedCertificate(certificate, db.get(Structure, certificate.structure_id))


@bp.get("/")
@requires("dashboard.view")
def index():
    args, now, db = request.args, utcnow(), get_session()
    scopes = rights.administered(get_session(), g.actor)
    rows, following = [], None
    if scopes:
        allowed = sa.or_(*[(IssuedCertificate.structure_id == sid)
                         & IssuedCertificate.profile.in_([p for p, prof in PROFILES.items() if prof.family in fams])
                         for sid, fams in scopes.items()])
        query = (select(IssuedCertificate, Structure).join(Structure, Structure.id == IssuedCertificate.structure_id)
                 .where(allowed))
        if (structure_id := parse_id(args.get("structure", ""))) is not None:
            query = query.where(IssuedCertificate.structure_id == structure_id)
        if args.get("famille") in ("ORG", "SERV"):
            query = query.where(IssuedCertificate.profile.in_(
                [p for p, prof in PROFILES.items() if prof.family == args["famille"]]))
        if args.get("usage") in USAGES:
            query = query.where(IssuedCertificate.usage == args["usage"])
        status = args.get("statut", "")
        if status == "valide":
            query = query.where(IssuedCertificate.revoked_at.is_(None), IssuedCertificate.not_after > now)
        elif status == "expire":
            query = query.where(IssuedCertificate.revoked_at.is_(None), IssuedCertificate.not_after <= now)
        elif status == "revoque":
            query = query.where(IssuedCertificate.revoked_at.is_not(None))
        if args.get("expire_dans") in ("30", "90"):
            query = query.where(IssuedCertificate.revoked_at.is_(None), IssuedCertificate.not_after > now,
                                IssuedCertificate.not_after <= now + timedelta(days=int(args["expire_dans"])))
        if text := args.get("q", "").strip():
            query = query.where(IssuedCertificate.common_name.ilike(f"%{text}%")
                                | (IssuedCertificate.serial_hex == text.lower().replace(":", "")))
        if (after := parse_id(args.get("apres", ""))) is not None:
            query = query.where(IssuedCertificate.id < after)
        found = db.exec(query.order_by(IssuedCertificate.id.desc()).limit(PAGE + 1)).all()
        rows, following = found[:PAGE], (found[PAGE - 1][0].id if len(found) > PAGE else None)
    structures = db.exec(select(Structure).where(Structure.id.in_(list(scopes))).order_by(Structure.name)).all() \
        if scopes else []
    filters = {k: args.get(k, "") for k in ("structure", "famille", "usage", "statut", "expire_dans", "q")}
    return render("certificates/index.html", rows=rows, following=following, structures=structures,
                  filters=filters, usages=USAGES, statuses=CERTIFICATE_STATUSES,
                  status_of=lambda c: certificate_status(c.not_after, c.revoked_at, now), profiles=PROFILES,
                  can_order=bool(scopes), block="results")


@bp.get("/<int:certificate_id>")
@requires("certificate.manage", target=certificate_target)
def show(certificate_id: int, target: LoadedCertificate):
    return _page(target)


def _paired(c: IssuedCertificate) -> list[IssuedCertificate]:
    """The live certificates ordered with this one (the DMP's authentication and signature pair)."""
    if c.filing_id is None:
        return []
    return list(get_session().exec(select(IssuedCertificate).where(
        IssuedCertificate.filing_id == c.filing_id, IssuedCertificate.id != c.id,
        IssuedCertificate.revoked_at.is_(None))))


def _page(target: LoadedCertificate, *, error: str | None = None, status: int = 200):
    c = target.certificate
    return render("certificates/show.html", c=c, structure=target.structure, profile=PROFILES[c.profile],
                  state=certificate_status(c.not_after, c.revoked_at, utcnow()), statuses=CERTIFICATE_STATUSES,
                  usages=USAGES, reasons=REVOCATION_REASONS, error=error, status=status, profiles=PROFILES,
                  paired=_paired(c) if c.revoked_at is None else [])


@bp.get("/<int:certificate_id>/<name>")
@requires("certificate.manage", target=certificate_target)
def download(certificate_id: int, name: str, target: LoadedCertificate):
    if name not in certificate_files.DOWNLOADS:
        abort(404)
    mimetype, build = certificate_files.DOWNLOADS[name]
    stem = "".join(ch if ch.isalnum() else "-" for ch in target.certificate.common_name)[:40]
    return Response(build(certificate_files.chain(get_session(), target.certificate)), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{stem}-{name}"'})


@bp.post("/<int:certificate_id>/revoquer")
@requires("certificate.manage", target=certificate_target)
def revoke(certificate_id: int, target: LoadedCertificate):
    db, c = get_session(), target.certificate
    reason = request.form.get("motif", "")
    on_refusal(lambda refusal: _page(target, error=str(refusal)), c)
    if reason not in dict(REVOCATION_REASONS):
        raise Refusal("Choisissez le motif de la révocation.", field="motif")
    if not request.form.get("confirmation"):
        raise Refusal("Cochez la case pour confirmer : la révocation est immédiate et définitive.",
                      field="confirmation")
    also = {parse_id(v) for v in request.form.getlist("avec")}
    together = [other for other in _paired(c) if other.id in also]  # only the order's own live certificates
    for certificate in (c, *together):
        revoke_certificate(db, current_app.extensions["hsm"], certificate, reason=reason,
                           revoked_by=g.actor.national_id)
    names = ", ".join(f"{x.common_name} (n° {x.serial_hex})" for x in (c, *together))
    flash(f"Révoqué{'s' if together else ''} : {names}. La liste de révocation et le répondeur OCSP le disent dès "
          "maintenant.", "success")
    return success(url_for("certificates.show", certificate_id=certificate_id))
