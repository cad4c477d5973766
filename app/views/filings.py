"""The filer's side of the ANS forms: start, fill step by step (autosaved), attach, review, deposit, follow."""

from __future__ import annotations

from io import BytesIO

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, request, send_file, url_for
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape
from sqlmodel import select

from app.db import get_session, keep
from app.db import rows as db_rows
from app.domain.casefiles import STATES
from app.domain.codes import AUTH_METHODS
from app.domain.forms import FORMS, check, clean, step_errors
from app.domain.forms.catalogue import OPPOSED_AT_DEPOSIT
from app.domain.forms.schema import carried, carried_values, row_index
from app.domain.forms.schema import labels as field_labels
from app.domain.inputs import parse_id, parse_int
from app.domain.permissions import MANAGERS, NewFiling, StructureRef, can
from app.domain.refusals import Refusal
from app.models import Filing, Person, Structure
from app.operations import attachments as attached
from app.operations import casefiles, exchanges
from app.operations.casefiles import Refused
from app.operations.forms import attachments, f413, prefill, rules, workflow
from app.operations.forms import check as form_check
from app.operations.rights import structures_reached
from app.web.casefiles import LoadedCase, case_page, case_target, latest_document
from app.web.refusals import on_refusal
from app.web.rendering import render, success
from app.web.security import requires

bp = Blueprint("filings", __name__, url_prefix="/demarches")
PAGE = 20


def _me() -> Person:
    return get_session().get(Person, g.actor.person_id)


def _allowed_structures(form: str) -> list[Structure]:
    spec = FORMS[form]
    db = get_session()
    ids = {h.structure_id for h in g.actor.habilitations if not spec.filed_by or h.role in spec.filed_by}
    if not ids:
        return []
    found = db.exec(select(Structure).where(Structure.id.in_(ids)).order_by(Structure.name)).all()
    return [s for s in found if can(g.actor, "filing.start", NewFiling(form, spec.filed_by, s))]


# The user's filings, and those deposited for the structures they manage (a mandataire's F301 for the director).
_MINE = (sa.select(Filing.id, Filing.form, Filing.state, Filing.reference, Filing.updated_at, Structure.name,
                   Filing.filer_id, Filing.created_at)
         .join(Structure, Structure.id == Filing.structure_id)
         .where(Filing.form.in_(FORMS),
                (Filing.filer_id == sa.bindparam("person_id"))
                | (structures_reached(sa.bindparam("managed", expanding=True)) & (Filing.state != "brouillon"))))
# Built once: the first page and the older ones (keyset on id: a page costs the same at any depth).
_MY_PAGE = _MINE.order_by(Filing.id.desc()).limit(PAGE + 1)
_MY_OLDER_PAGE = _MINE.where(Filing.id < sa.bindparam("before")).order_by(Filing.id.desc()).limit(PAGE + 1)


@bp.get("/")
@requires("dashboard.view")
def index():
    """The user's filings, newest first, 20 a page."""
    before = parse_id(request.args.get("avant", ""))
    managed = sorted(MANAGERS.held_on(g.actor))  # what filing.view opens: their structures and their EJs' sites
    rows = (db_rows(_MY_PAGE, person_id=g.actor.person_id, managed=managed) if before is None
            else db_rows(_MY_OLDER_PAGE, person_id=g.actor.person_id, managed=managed, before=before))
    older = rows[PAGE - 1].id if len(rows) > PAGE else None
    startable = tuple(code for code, spec in FORMS.items()
                      if not spec.filed_by or any(h.role in spec.filed_by for h in g.actor.habilitations))
    return render("filings/index.html", filings=rows[:PAGE], tiles=_tiles(startable), states=STATES, older=older,
                  all_forms=len(startable) == len(FORMS), forms=FORMS)


_TILES: dict[tuple, Markup] = {}


def _tiles(codes: tuple[str, ...]) -> Markup:
    """The tiles of the forms this user may file (their roles decide), built once per set and mount point."""
    key = (request.script_root, codes)
    if key not in _TILES:
        _TILES[key] = Markup("".join(  # noqa: S704 - every value escaped
            f'<div class="fr-col-12 fr-col-md-6 fr-col-lg-4"><div class="fr-tile fr-enlarge-link">'
            f'<div class="fr-tile__body"><div class="fr-tile__content"><h3 class="fr-tile__title">'
            f'<a href="{escape(url_for("filings.start", form=code))}">{escape(code)} – '
            f'{escape(FORMS[code].title)}</a></h3><p class="fr-tile__detail">{escape(FORMS[code].purpose)}</p>'
            f"</div></div></div></div>" for code in codes))
    return _TILES[key]


@bp.route("/nouvelle/<form>", methods=["GET", "POST"])
@requires("dashboard.view")
def start(form: str):
    if form not in FORMS:
        abort(404)
    spec, db = FORMS[form], get_session()
    source = request.form if request.method == "POST" else request.args

    def start_page(error: str | None = None):
        posted = request.form.get("structure_id") if request.method == "POST" else None
        searched = request.args.get("recherche", "").strip()[:100] if not spec.filed_by else ""
        found = _search(searched) if searched else []
        return render("filings/start.html", spec=spec, structures=_allowed_structures(form), error=error,
                      carried=carried(spec, source), other_chosen=posted == "",  # « Une autre structure » ticked
                      chosen=parse_id(posted or request.args.get("structure", "")) or (found[0].id if found else None),
                      searched=searched, found=found)

    if request.method == "POST":
        on_refusal(lambda refusal: start_page(str(refusal)))
        structure = _structure_from(request.form)
        if structure is None:
            raise Refusal("Choisissez une structure connue du portail (FINESS ou SIRET).", field="structure")
        if not can(g.actor, "filing.start", NewFiling(form, spec.filed_by, structure)):
            abort(403)
        if form == "F413" and (why := f413.certified_identifier_rule(structure)):
            raise Refusal(why, field="structure")
        payload = carried_values(spec, request.form, _prefill(spec, structure))
        filing = casefiles.open_draft(db, form=form, structure_id=structure.id, filer_id=g.actor.person_id,
                                      actor=g.actor.national_id, payload=payload)
        return success(url_for("filings.step", filing_id=filing.id, step=spec.steps[0].name))
    return start_page()


def _search(text: str) -> list[Structure]:
    """Structures by name or town (a professional rarely knows a FINESS by heart), ten at most."""
    pattern = f"%{text}%"
    named = Structure.name.ilike(pattern) | Structure.city.ilike(pattern)
    return list(get_session().exec(select(Structure).where(named).order_by(Structure.name).limit(10)))


def _structure_from(form) -> Structure | None:
    db = get_session()
    identifier = "".join(form.get("identifiant_structure", "").split())
    if identifier:  # typed: the structure meant, whichever of one's own is ticked above
        return db.exec(select(Structure).where((Structure.finess == identifier)
                                               | (Structure.siret == identifier))).first()
    if (structure_id := parse_id(form.get("structure_id", ""))) is not None:
        return db.get(Structure, structure_id)
    return None


def _prefill(spec, structure: Structure) -> dict:
    """What the portal already knows: the filer's identity where the form asks for the representative."""
    me = _me()
    identity = {"civilite": "MME" if me.civility == "MME" else ("M" if me.civility else ""), "nom": me.family_name,
                "prenom": me.given_name, "identifiant": "" if me.by_email_only else me.national_id,
                "courriel": me.email}
    payload = {}
    if spec.code == "F101":
        payload["representant"] = identity
    if any(step.name == "livraison" for step in spec.steps):  # the structure's own address, not retyped
        payload["livraison"] = {key: value for key, value in (
            ("destinataire", structure.name[:100]), ("code_postal", structure.postal_code),
            ("ville", structure.city)) if value}
    if any(step.name == "contact" for step in spec.steps):
        known = prefill.last_contact(get_session(), structure.id, reader_id=g.actor.person_id,
                                     manager=can(g.actor, "structure.manage", StructureRef(structure.id,
                                                                                           structure.parent_id)))
        if known or me.email:
            payload["contact"] = known or {"courriel": me.email}
    return payload


def _step_data(step, form, structure_id: int | None) -> tuple[object, dict]:
    """The posted step as the draft keeps it, and the row edits asked (add / remove a row)."""
    if not step.repeated:
        return {f.name: clean(f, form.get(f.name)) for f in step.fields}, {}
    count = parse_int(form.get("rows", "0"), high=step.max_rows) or 0
    rows = [{f.name: clean(f, form.get(f"rows-{i}-{f.name}")) for f in step.fields} for i in range(count)]
    if any(f.name == "identifiant" for f in step.fields):
        rows = [row | prefill.from_records(get_session(), row, structure_id=structure_id) for row in rows]
    if (removed := row_index(step, form.get("_supprimer", ""))) is not None and removed < len(rows):
        del rows[removed]  # the focus goes to the row that took its place, else the one before, else « Ajouter »
        return rows, {"edited": True, "focus": min(removed, len(rows) - 1)}
    if form.get("_ajouter") and len(rows) < step.max_rows:
        rows.append({})
        return rows, {"edited": True, "focus": len(rows) - 1}  # the new row's first field
    return rows, {}


@bp.route("/<int:filing_id>/etapes/<step>", methods=["GET", "POST"])
@requires("filing.edit", target=case_target)
def step(filing_id: int, step: str, target: LoadedCase):
    spec, filing = FORMS[target.filing.form], target.filing
    try:
        current = spec.step(step)
    except KeyError:
        abort(404)
    if not casefiles.editable(filing):
        return success(url_for("filings.show", filing_id=filing_id))
    data = filing.payload.get(step)
    if current.repeated and not data:
        data = [{}] * current.min_rows
    errors, edits = {}, {}
    on_refusal(lambda refusal: _step_page(target, current, data, refusal.errors, edits))
    if request.method == "POST":
        data, edits = _step_data(current, request.form, filing.structure_id)
        casefiles.save_part(get_session(), filing, step, data)
        keep()  # the draft keeps what was typed, even beside a 422
        upload = request.files.get("piece")
        if spec.attachment and step == spec.steps[-1].name and upload is not None and upload.filename:
            settings = current_app.config["SETTINGS"]  # the proof goes with the step's own post: never dropped
            try:
                attached.attach(get_session(), filing, upload, max_bytes=settings.attachment_max_bytes,
                                actor=g.actor.national_id)
                flash(f"Pièce jointe ajoutée : {upload.filename}.", "success")
            except attached.AttachmentError as exc:
                errors = {"piece": str(exc)}
        if request.form.get("_joindre"):
            edits = {"edited": True}  # « Joindre le fichier »: the step again, with its list of attachments
        back = bool(request.form.get("_precedent")) and spec.neighbour(step, back=True) is not None
        if back and not edits:  # going back never waits for the step to be valid: what was typed is kept
            return success(url_for("filings.step", filing_id=filing_id, step=spec.neighbour(step, back=True)))
        if not edits:
            errors = step_errors(current, data) | errors
            if not errors:
                following = spec.neighbour(step, back=False)
                return success(url_for("filings.step", filing_id=filing_id, step=following) if following
                               else url_for("filings.summary", filing_id=filing_id))
    if errors:
        raise Refusal(errors=errors)
    return _step_page(target, current, data, {}, edits)


def _step_page(target: LoadedCase, current, data, errors: dict, edits: dict):
    return render("filings/step.html", case=target, spec=FORMS[target.filing.form], step=current, data=data,
                  errors=errors, focus=edits.get("focus"),
                  labels=(field_labels(current, data) | {"piece": "Pièce justificative"}) if errors else {},
                  documents=attachments(get_session(), target.filing.id))


@bp.post("/<int:filing_id>/champ")
@requires("filing.edit", target=case_target)
def field(filing_id: int, target: LoadedCase):
    """Inline check of one field as the filer leaves it, saving it in the draft on the way (autosave)."""
    spec, filing = FORMS[target.filing.form], target.filing
    try:
        current = spec.step(request.form.get("_step", ""))
    except KeyError:
        abort(400)
    name = request.form.get("_name", "")
    index_text, _, field_name = name.partition("-")[2].partition("-") if name.startswith("rows-") else ("", "", name)
    spec_field = next((f for f in current.fields if f.name == field_name), None)
    index = row_index(current, index_text)
    if spec_field is None or (current.repeated and index is None) or (not current.repeated and index_text):
        abort(400)  # only a field the form declares, in a row below the form's maximum
    value = clean(spec_field, request.form.get(name))
    filled = {}
    if casefiles.editable(filing):
        data = filing.payload.get(current.name) or ([] if current.repeated else {})
        if current.repeated:
            rows = [dict(r) for r in data]
            while len(rows) <= index:
                rows.append({})
            rows[index][field_name] = value
            if field_name == "identifiant":
                filled = prefill.from_records(get_session(), rows[index], structure_id=filing.structure_id)
                rows[index].update(filled)
            data = rows
        else:
            data = {**data, field_name: value}
        casefiles.save_part(get_session(), filing, current.name, data)
        keep()
    check_url = url_for("filings.field", filing_id=filing_id)

    def field_block(error: str | None):
        response = render("components/_field.html", spec_field=spec_field, name=name, value=value, error=error,
                          check_url=check_url, step=current, block="field")
        for key, known in filled.items():  # the fields the portal's records fill, swapped in out of band
            other = next(f for f in current.fields if f.name == key)
            response.data += render_block("components/_field.html", "field", spec_field=other,
                                          name=f"rows-{index}-{key}", value=known, error=None, check_url=check_url,
                                          step=current, oob=True).encode()
        return response

    on_refusal(lambda refusal: field_block(str(refusal)))
    if error := check(spec_field, value):
        raise Refusal(error, field=name)
    return field_block(None)


@bp.get("/<int:filing_id>/recapitulatif")
@requires("filing.edit", target=case_target)
def summary(filing_id: int, target: LoadedCase):
    return _summary(target, None)


def _summary(target: LoadedCase, errors: dict | None, error: str | None = None):
    """The summary with ``errors``, or with the draft's own when None; ``error`` a refusal of the whole file."""
    spec = FORMS[target.filing.form]
    documents = attachments(get_session(), target.filing.id) if spec.attachment else []
    if errors is None:
        errors = form_check(get_session(), target.filing, documents)
    flat = {}
    for step in (s for s in spec.steps if errors.get(s.name)):  # each message with the field it is about
        named = field_labels(step, target.filing.payload.get(step.name))
        flat[step.name] = " ".join(f"{named[key]}\u00a0: {message}" if key in named and len(errors[step.name]) > 1
                                   else message for key, message in errors[step.name].items())
    return render("filings/summary.html", case=target, spec=spec, errors=errors, flat_errors=flat,
                  step_titles={s.name: s.title for s in spec.steps if s.name in flat},
                  auth_label=AUTH_METHODS.get(g.actor.auth_method, g.actor.auth_method),
                  documents=documents, assessment=rules.assessment(get_session(), target.filing),
                  error=error)


@bp.post("/<int:filing_id>/deposer")
@requires("filing.edit", target=case_target)
def deposit(filing_id: int, target: LoadedCase):
    db, filing = get_session(), target.filing
    if not casefiles.editable(filing) and request.form.get("cle") != filing.idempotency_key:
        return success(url_for("filings.show", filing_id=filing_id))  # already deposited: the retried POST lands here
    on_refusal(lambda refusal: _summary(target, refusal.errors if isinstance(refusal, Refused) else None,
                                        error=None if isinstance(refusal, Refused) else str(refusal)))
    done = casefiles.deposit(db, filing, workflow(current_app.extensions["hsm"]), actor=g.actor.national_id,
                             auth_method=g.actor.auth_method, idempotency_key=request.form.get("cle", ""),
                             filer_email=target.filer.email, portal_url=_link(filing_id),
                             home_url=current_app.config["SETTINGS"].portal_base_url + url_for("dashboard.index"))
    if done:
        flash(_deposited(filing), "success")
    return success(url_for("filings.show", filing_id=filing_id))


def _link(filing_id: int) -> str:
    return current_app.config["SETTINGS"].portal_base_url + url_for("filings.show", filing_id=filing_id)


@bp.get("/<int:filing_id>")
@requires("filing.view", target=case_target)
def show(filing_id: int, target: LoadedCase):
    return case_page(target, back_office=False)


@bp.get("/<int:filing_id>/formulaire.pdf")
@requires("filing.attachment", target=case_target)  # the filer and the back office
def pdf(filing_id: int, target: LoadedCase):
    document = latest_document(filing_id)
    if document is None:
        abort(404)
    return send_file(BytesIO(document.pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{target.filing.reference}.pdf")


def _deposited(filing: Filing) -> str:
    """The deposit's confirmation, saying what the deposit already did (an F501 opposes a lost card at once)."""
    said = f"Dossier déposé. Numéro d’accusé de réception\u00a0: {filing.reference}. Un courriel le confirme."
    incident = filing.payload.get("incident") or {}
    if filing.form == "F501" and incident.get("incident") in OPPOSED_AT_DEPOSIT:
        return (f"{said} La carte n° {incident.get('carte', '')} est en opposition depuis ce dépôt\u00a0: elle "
                "n’ouvre plus aucune session. Sa remplaçante sera commandée quand l’ANS acceptera le dossier.")
    return (f"{said} L’ANS l’instruit\u00a0: un courriel vous dira sa décision, ou ce qu’il faut corriger "
            "(voir «\u00a0Et ensuite\u00a0?\u00a0» ci-dessous).")


@bp.post("/<int:filing_id>/message")
@requires("filing.edit", target=case_target)
def message(filing_id: int, target: LoadedCase):
    on_refusal(lambda refusal: case_page(target, back_office=False, error=str(refusal),
                                         message=request.form.get("message", "")))
    exchanges.write(get_session(), target.filing, actor=g.actor.national_id, side=exchanges.FILER_SIDE,
                    message=request.form.get("message", ""), upload=request.files.get("piece"),
                    max_bytes=current_app.config["SETTINGS"].attachment_max_bytes,
                    link=current_app.config["SETTINGS"].portal_base_url
                    + url_for("backoffice.show", filing_id=filing_id))
    flash("Message envoyé à l’agence.", "success")
    return success(url_for("filings.show", filing_id=filing_id) + "#echanges")


@bp.post("/<int:filing_id>/pieces")
@requires("filing.edit", target=case_target)
def upload(filing_id: int, target: LoadedCase):
    settings, spec = current_app.config["SETTINGS"], FORMS[target.filing.form]
    to_case = request.form.get("_retour") == "dossier" or not spec.attachment  # a document the agency asked for
    last = spec.steps[-1]
    on_refusal(lambda refusal: case_page(target, back_office=False, error=str(refusal)) if to_case
               else _step_page(target, last, target.filing.payload.get(last.name), {"piece": str(refusal)}, {}))
    if not casefiles.editable(target.filing):
        raise attached.AttachmentError("Le dossier n’est plus modifiable.")
    attached.attach(get_session(), target.filing, request.files.get("piece"), max_bytes=settings.attachment_max_bytes,
                    actor=g.actor.national_id)
    flash("Pièce jointe ajoutée.", "success")
    if to_case:
        return success(url_for("filings.show", filing_id=filing_id) + "#pieces-jointes")
    return success(url_for("filings.step", filing_id=filing_id, step=last.name) + "#pieces")


@bp.get("/<int:filing_id>/pieces/<int:attachment_id>")
@requires("filing.attachment", target=case_target)
def attachment(filing_id: int, attachment_id: int, target: LoadedCase):
    document, data = attached.find(get_session(), filing_id, attachment_id)
    response = send_file(BytesIO(data), mimetype=document.content_type, as_attachment=True,
                         download_name=attached.download_name(document))
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/<int:filing_id>/supprimer")
@requires("filing.edit", target=case_target)
def delete(filing_id: int, target: LoadedCase):
    on_refusal(lambda refusal: case_page(target, back_office=False, error=str(refusal)))
    casefiles.delete_draft(get_session(), target.filing, actor=g.actor.national_id)
    flash("Brouillon supprimé.", "success")
    return success(url_for("filings.index"))
