"""What the filer and the agency say to each other about a file, and what agents say among themselves, as
démarches-simplifiées does: messages both ways in every state once deposited (with a document if need be, an
e-mail to the other side each time, unread counts), private notes, an expert's opinion asked and given, the agent
who instructs the file, and the deadline of a correction with its reminder.

Nothing here changes the file's state: that stays :func:`app.operations.casefiles.act`'s."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.domain.casefiles import InvalidTransition
from app.domain.inputs import parse_id
from app.domain.refusals import Refusal
from app.models import AgencyRole, Filing, FilingEvent, Person
from app.models.base import aware, utcnow
from app.operations import attachments, audit, outbox

FILER_SIDE, AGENCY_SIDE = "filer", "agency"
FROM_FILER, FROM_AGENCY, NOTE, OPINION_ASKED, OPINION = "message", "message_agence", "note", "avis_demande", "avis"
PRIVATE = frozenset({NOTE, OPINION_ASKED, OPINION})  # between agents: never shown to the filer
LONGEST = 4000
CORRECTION_DAYS = 15  # the usual deadline offered when a correction is asked
REMIND_BEFORE = timedelta(days=3)


def _text(message: str, field: str = "message") -> str:
    text = message.strip()
    if not text:
        raise Refusal("Le message est vide.", field=field)
    if len(text) > LONGEST:
        raise Refusal(f"Le message dépasse {LONGEST:,} caractères.".replace(",", "\u202f"), field=field)
    return text


def _event(db: Session, filing: Filing, actor: str, verb: str, text: str) -> FilingEvent:
    event = FilingEvent(filing_id=filing.id, actor=actor, verb=verb, before=filing.state, after=filing.state,
                        message=text)
    db.add(event)
    db.flush()
    audit.record(db, actor=actor, action=f"filing.{verb}", object_type="filing", object_id=filing.id,
                 after={"state": filing.state, "reference": filing.reference, "event": event.id})
    return event


def write(db: Session, filing: Filing, *, actor: str, side: str, message: str, upload=None, max_bytes: int = 0,
          filer_email: str = "", link: str = "") -> FilingEvent:
    """A message to the other side, with a document if one is given; the other side gets an e-mail (the filer,
    or the agent instructing the file). Any deposited file takes one, decided or not: a question about a decision
    is asked here too."""
    if filing.state == "brouillon":
        raise InvalidTransition("Le dossier n’est pas encore déposé\u00a0: rien n’est transmis à l’agence.",
                                field="message")
    has_file = upload is not None and getattr(upload, "filename", "")
    text = _text(message) if message.strip() or not has_file else ""
    event = _event(db, filing, actor, FROM_AGENCY if side == AGENCY_SIDE else FROM_FILER, text)
    if has_file:
        attachments.attach(db, filing, upload, max_bytes=max_bytes, actor=actor, event_id=event.id)
    now = utcnow()
    if side == AGENCY_SIDE:
        filing.agency_seen_at = now
        outbox.queue(db, [filer_email], f"Dossier {filing.reference}\u00a0: nouveau message de l’agence",
                     f"L’agence vous a écrit au sujet du dossier {filing.reference}. Lisez et répondez sur le portail "
                     f"(le message n’est pas recopié ici)\u00a0:\n{link}", filing_id=filing.id)
    else:
        filing.filer_seen_at = now
        assignee = db.get(Person, filing.assignee_id) if filing.assignee_id else None
        if assignee is not None and assignee.email:
            outbox.queue(db, [assignee.email], f"Dossier {filing.reference}\u00a0: nouveau message du déclarant",
                         f"Le déclarant du dossier {filing.reference} a écrit. Lisez sur le portail\u00a0:\n{link}",
                         filing_id=filing.id)
    db.add(filing)
    db.flush()
    return event


def note(db: Session, filing: Filing, *, actor: str, message: str) -> FilingEvent:
    """A note between agents, never shown to the filer."""
    return _event(db, filing, actor, NOTE, _text(message, "note"))


def agents(db: Session) -> list[Person]:
    """The ANS operators a file may be given to or an opinion asked of, by name."""
    ids = select(AgencyRole.national_id).where(AgencyRole.role == "ans_operator")
    return list(db.exec(select(Person).where(Person.national_id.in_(ids))
                        .order_by(Person.family_name, Person.given_name)))


def _agent(db: Session, person_id, field: str) -> Person:
    chosen = db.get(Person, found) if (found := parse_id(person_id)) is not None else None
    if chosen is None or chosen.id not in {p.id for p in agents(db)}:
        raise Refusal("Choisissez un agent de l’agence dans la liste.", field=field)
    return chosen


def assign(db: Session, filing: Filing, *, actor: str, assignee_id) -> Person | None:
    """Give the file to an agent (oneself or a colleague), or to nobody (empty choice)."""
    chosen = None if assignee_id in ("", None) else _agent(db, assignee_id, "agent")
    before = filing.assignee_id
    filing.assignee_id = chosen.id if chosen else None
    db.add(filing)
    audit.record(db, actor=actor, action="filing.assigned", object_type="filing", object_id=filing.id,
                 before={"assignee_id": before}, after={"assignee_id": filing.assignee_id})
    db.flush()
    return chosen


def ask_opinion(db: Session, filing: Filing, *, actor: str, expert_id, question: str, link: str) -> FilingEvent:
    """Ask a colleague's opinion on the file: recorded in the file, the colleague told by e-mail."""
    expert = _agent(db, expert_id, "expert")
    text = _text(question, "question")
    event = _event(db, filing, actor, OPINION_ASKED, f"{expert.shown_name} ({expert.national_id})\u00a0: {text}")
    outbox.queue(db, [expert.email], f"Dossier {filing.reference}\u00a0: votre avis est demandé",
                 f"Un agent demande votre avis sur le dossier {filing.reference}. Question et réponse sur le "
                 f"portail\u00a0:\n{link}", filing_id=filing.id)
    return event


def give_opinion(db: Session, filing: Filing, *, actor: str, opinion: str) -> FilingEvent:
    """The expert's opinion, recorded in the file for the agent who decides."""
    return _event(db, filing, actor, OPINION, _text(opinion, "avis"))


def pending_opinions(events: list[FilingEvent], national_id: str) -> list[FilingEvent]:
    """The opinions asked of ``national_id`` on this file and not given by them since."""
    given_at = max((e.id for e in events if e.verb == OPINION and e.actor == national_id), default=0)
    return [e for e in events if e.verb == OPINION_ASKED and f"({national_id})" in e.message and e.id > given_at]


def mark_seen(db: Session, filing_id: int, side: str, at: datetime) -> None:
    """The side read the thread at ``at`` (its unread count drops to zero): the page's bookkeeping, after it."""
    column = "agency_seen_at" if side == AGENCY_SIDE else "filer_seen_at"
    db.execute(sa.update(Filing).where(Filing.id == filing_id).values({column: at}))


def unread(events: list[FilingEvent], filing: Filing, side: str) -> int:
    """Messages from the other side after this side last read the thread."""
    since = filing.agency_seen_at if side == AGENCY_SIDE else filing.filer_seen_at
    verb = FROM_FILER if side == AGENCY_SIDE else FROM_AGENCY
    return sum(1 for e in events if e.verb == verb and (since is None or aware(e.at) > aware(since)))


UNREAD_BY_AGENCY = (sa.select(sa.func.count(FilingEvent.id))
                    .where(FilingEvent.filing_id == Filing.id, FilingEvent.verb == FROM_FILER,
                           sa.or_(Filing.agency_seen_at.is_(None), FilingEvent.at > Filing.agency_seen_at))
                    .correlate(Filing).scalar_subquery())


def correction_deadline(raw: str, today: date) -> date:
    """The date a correction is awaited until: given by the agent (JJ/MM/AAAA or AAAA-MM-JJ), else in 15 days."""
    raw = (raw or "").strip()
    if not raw:
        return today + timedelta(days=CORRECTION_DAYS)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            due = datetime.strptime(raw, pattern).date()
            break
        except ValueError:
            continue
    else:
        raise Refusal("Date invalide\u00a0: JJ/MM/AAAA.", field="delai")
    if due <= today:
        raise Refusal("Le délai de correction doit être une date à venir.", field="delai")
    if due > today + timedelta(days=90):
        raise Refusal("Le délai de correction ne dépasse pas 90 jours.", field="delai")
    return due


def remind_corrections(db: Session, link_for, now: datetime | None = None) -> int:
    """One reminder per correction request, three days before its deadline (or at once when it is closer)."""
    now = now or utcnow()
    due = db.exec(select(Filing, Person.email).join(Person, Person.id == Filing.filer_id).where(
        Filing.state == "a_corriger", Filing.correction_due.is_not(None), Filing.correction_reminded_at.is_(None),
        Filing.correction_due <= (now + REMIND_BEFORE).date())).all()
    for filing, email in due:
        outbox.queue(db, [email], f"Dossier {filing.reference}\u00a0: correction attendue avant le "
                     f"{filing.correction_due:%d/%m/%Y}",
                     f"L’agence attend votre correction du dossier {filing.reference} avant le "
                     f"{filing.correction_due:%d/%m/%Y}. Corrigez-le et déposez-le à nouveau, ou répondez à l’agence "
                     f"sur le portail\u00a0:\n{link_for(filing.id)}", filing_id=filing.id)
        filing.correction_reminded_at = now
        db.add(filing)
    db.flush()
    return len(due)
