"""What the filer's and the back office's views share: loading a case file once for ``@requires``."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort
from sqlmodel import select

from app.db import get_session
from app.domain.forms import FORMS
from app.models import Filing, Person, Structure


@dataclass(frozen=True)
class LoadedCase:
    """The filing, its structure and its filer, as the permission rules and the views need them."""

    filing: Filing
    structure: Structure
    filer: Person

    @property
    def id(self) -> int:
        return self.filing.id

    @property
    def filer_id(self) -> int:
        return self.filing.filer_id

    @property
    def state(self) -> str:
        return self.filing.state


_CASE = (select(Filing, Structure, Person).join(Structure, Structure.id == Filing.structure_id)
         .join(Person, Person.id == Filing.filer_id).where(Filing.id == sa.bindparam("filing_id")))
_CASE_FOR_UPDATE = _CASE.with_for_update(of=Filing)


def case_target(filing_id: int, **_ignored) -> LoadedCase:
    """Loads the filing with its structure and filer (one query), the filing locked for the request's
    transaction when the request may change it: an inline field autosave and the step's own post, racing
    from one browser, must not overwrite each other's data."""
    from flask import request

    statement = _CASE_FOR_UPDATE if request.method == "POST" else _CASE
    found = get_session().exec(statement, params={"filing_id": filing_id}).first()
    if found is None or found[0].form not in FORMS:
        abort(404)
    return LoadedCase(*found)


def latest_document(filing_id: int):
    from app.models import FilingDocument

    return get_session().exec(select(FilingDocument).where(FilingDocument.filing_id == filing_id)
                              .order_by(FilingDocument.version.desc())).first()


def case_page(target: LoadedCase, *, back_office: bool, status: int = 200, **extra):
    """The file as its filer and the back office see it: content, documents, history, card orders."""
    from flask import g

    from app.db import bookkeeping
    from app.domain.casefiles import BACK_OFFICE, STATES, available, conflict
    from app.domain.codes import CARD_ORDER_STATES
    from app.domain.forms import FORMS
    from app.domain.permissions import can
    from app.models import CardOrder, FilingAttachment
    from app.models.base import utcnow
    from app.operations import casefiles, delays, exchanges
    from app.operations.forms import attachments, rules
    from app.web.rendering import render

    db, filing_id = get_session(), target.filing.id
    blocked = conflict(g.actor, casefiles.involvement(db, target.filing)) if back_office else None
    orders = db.exec(select(CardOrder).where(CardOrder.filing_id == filing_id).order_by(CardOrder.id)).all()
    events = casefiles.history(db, filing_id)
    side = exchanges.AGENCY_SIDE if back_office else exchanges.FILER_SIDE
    if not back_office:
        events = [e for e in events if e.verb not in exchanges.PRIVATE]
    sent = {a.event_id: a for a in db.exec(select(FilingAttachment).where(
        FilingAttachment.filing_id == filing_id, FilingAttachment.event_id.is_not(None)))}
    unread = exchanges.unread(events, target.filing, side)
    if unread and (back_office or target.filing.filer_id == g.actor.person_id):
        seen_at = utcnow()
        bookkeeping(lambda own: exchanges.mark_seen(own, filing_id, side, seen_at))
    context = dict(case=target, spec=FORMS[target.filing.form], states=STATES, back_office=back_office,
                   events=events, sent=sent, unread=unread, documents=attachments(db, filing_id),
                   sealed=latest_document(filing_id) is not None, orders=orders, card_states=CARD_ORDER_STATES,
                   actions=available(target.filing.state, BACK_OFFICE) if back_office and not blocked else [],
                   blocked=blocked, error=None, message="", posted_verb="", effects=FORMS[target.filing.form].effects,
                   can_edit=can(g.actor, "filing.edit", target),
                   warnings=rules.back_office_warnings(db, target.filing) if back_office else [],
                   can_download=can(g.actor, "filing.attachment", target),
                   agents=exchanges.agents(db) if back_office else [],
                   assignee=db.get(Person, target.filing.assignee_id) if target.filing.assignee_id else None,
                   asked_of_me=exchanges.pending_opinions(events, g.actor.national_id) if back_office else [],
                   correction_days=exchanges.CORRECTION_DAYS, field_errors={},
                   what_next=delays.what_next(db, target.filing.form)
                   if not back_office and target.filing.state in ("depose", "en_instruction") else "")
    return render("filings/show.html", status=status, **(context | extra))
