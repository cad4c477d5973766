"""What the AAC views of every actor share: the request loaded once for ``requires``, its page, and the
PUI's and agency's moves."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, flash, g, request, url_for
from sqlmodel import select

from app.db import get_session
from app.domain import aac as rules
from app.domain.casefiles import conflict
from app.domain.codes import lowered
from app.domain.inputs import parse_id, parse_int
from app.domain.permissions import can
from app.models import Filing, FilingDocument, Person, Structure
from app.models.base import utcnow
from app.operations import aac, aac_wizard
from app.operations.casefiles import history, involvement
from app.web.refusals import on_refusal
from app.web.rendering import render, success


@dataclass(frozen=True)
class LoadedRequest:
    filing: Filing
    laboratory: str = ""  # the referenced product's laboratory, for the laboratory role

    @property
    def filer_id(self) -> int:
        return self.filing.filer_id

    @property
    def structure_id(self) -> int | None:
        return self.filing.structure_id


def request_target(filing_id: int, **_ignored) -> LoadedRequest:
    filing = get_session().get(Filing, filing_id, with_for_update=request.method == "POST")
    if filing is None or filing.form != "AAC":
        abort(404)
    medicine = aac_wizard.product(get_session(), (filing.payload.get("medicament") or {}).get("code", ""))
    return LoadedRequest(filing, medicine.laboratory if medicine else "")


def link(filing_id: int) -> str:
    return current_app.config["SETTINGS"].portal_base_url + url_for("aac.show", filing_id=filing_id)


def page(target: LoadedRequest, status: int = 200, **extra):
    db, filing = get_session(), target.filing
    filing_id = filing.id
    decision = db.exec(select(FilingDocument).where(FilingDocument.filing_id == filing_id,
                                                    FilingDocument.kind == "decision")).first()
    errors = (aac_wizard.all_errors(db, filing, today=utcnow().date(), activity_ids=g.actor.activity_structure_ids)
              if filing.state in ("brouillon", "retournee") and filing.filer_id == g.actor.person_id else {})
    medicine = aac_wizard.product(db, (filing.payload.get("medicament") or {}).get("code", ""))
    pui = db.get(Structure, filing.structure_id) if filing.structure_id else None
    role = ("evaluateur" if "ansm_evaluator" in g.actor.agency_roles else
            "pharmacien" if filing.structure_id in g.actor.pui_structure_ids else
            "laboratoire" if target.laboratory in g.actor.laboratories else "prescripteur")
    by = {"evaluateur": rules.EVALUATOR, "pharmacien": rules.PHARMACIST, "prescripteur": rules.PRESCRIBER,
          "laboratoire": rules.LABORATORY}[role]
    blocked = conflict(g.actor, involvement(db, filing)) if by in rules.AAC_MACHINE.deciders else None
    events = history(db, filing_id)
    designated_id = parse_id(str((filing.payload.get("engagement") or {}).get("pharmacien", "")).partition(":")[0])
    question = next((e for e in reversed(events) if e.verb == "demander_complements"), None)
    answer_verb = {"prescripteur": "repondre_prescripteur", "pharmacien": "repondre"}.get(role)
    return render("aac/show.html", filing=filing, states=rules.AAC_STATES, decision=decision, errors=errors,
                  medicine=medicine, pui=pui, role=role, events=events, steps=aac.STEPS,
                  question=question if filing.state == "complements" else None, answer_verb=answer_verb,
                  designated=db.get(Person, designated_id) if designated_id else None,
                  actions=[] if blocked else rules.AAC_MACHINE.available(filing.state, by), blocked=blocked,
                  reasons=rules.REFUSAL_REASONS,
                  prescriber=db.get(Person, filing.filer_id), status=status,
                  can_renew=can(g.actor, "aac.edit", target), today=utcnow().date(),
                  **({"error": None, "posted": {}, "posted_verb": ""} | extra))


def act(target: LoadedRequest, verb: str):
    db, filing = get_session(), target.filing
    form, settings, today = request.form, current_app.config["SETTINGS"], utcnow().date()
    keystore = current_app.extensions["hsm"]
    on_refusal(lambda refusal: page(target, error=str(refusal), posted=form, posted_verb=verb), filing)
    if verb == "transmettre":
        automatic = aac.transmit(db, filing, keystore, actor=g.actor.national_id, auth_method=g.actor.auth_method,
                                 base_url=settings.portal_base_url, today=today)
        message = ("Demande transmise et conforme : autorisation délivrée immédiatement." if automatic
                   else "Demande transmise à l’ANSM pour évaluation.")
    elif verb == "octroyer":
        medicine = aac_wizard.product(db, filing.payload["medicament"].get("code", ""))
        aac.grant(db, filing, keystore, actor=g.actor.national_id, by=rules.EVALUATOR, verb="octroyer",
                  agent=g.actor,
                  days=parse_int(form.get("duree", ""), high=100_000) or 0,
                  conditions=form.get("conditions") or (medicine.conditions if medicine else ""),
                  comment=form.get("message", ""), base_url=settings.portal_base_url, today=today)
        message = "Autorisation accordée et scellée."
    elif verb == "refuser":
        aac.refuse(db, filing, keystore, actor=g.actor.national_id, agent=g.actor, reason=form.get("motif", ""),
                   comment=form.get("message", ""), base_url=settings.portal_base_url, today=today)
        message = "Refus notifié et scellé."
    else:
        by = rules.AAC_MACHINE.transitions.get(verb)
        if by is None or by.by not in (rules.PRESCRIBER, rules.PHARMACIST, rules.EVALUATOR):
            abort(404)
        aac.move(db, filing, verb, by.by, actor=g.actor.national_id, agent=g.actor, message=form.get("message", ""),
                  auth_method=g.actor.auth_method, link=link(filing.id))
        message = by.done or f"Demande : {lowered(rules.AAC_STATES[filing.state])}."
    flash(message, "success")
    return success(url_for("aac.show", filing_id=filing.id))

