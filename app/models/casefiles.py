"""Case files (dossiers): ANS forms, certificate orders (CERT) and AAC requests; their history, thread, documents,
attachments, card orders and the outbox."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from .base import optional_timestamp, timestamp


class Filing(SQLModel, table=True):
    """One case file. ``payload`` holds the form's fields, validated by its schema before each save."""

    # History pages walk one person's or one structure's files newest first (keyset on id): these keep a page
    # as cheap at a million files as at ten thousand.
    __table_args__ = (sa.Index("ix_filing_filer_id_id", "filer_id", "id"),
                      sa.Index("ix_filing_structure_id_id", "structure_id", "id"))

    id: int | None = Field(default=None, primary_key=True)
    form: str = Field(max_length=8, index=True)  # F101, F301, F413, F502, F503, CERT, AAC
    structure_id: int | None = Field(default=None, foreign_key="structure.id", index=True)
    filer_id: int = Field(foreign_key="person.id", index=True)
    state: str = Field(default="brouillon", max_length=20, index=True)
    reference: str | None = Field(default=None, max_length=24, unique=True)  # given when first deposited
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    idempotency_key: str = Field(max_length=64, unique=True)  # one per draft: a retried deposit changes nothing
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    deposited_at: datetime | None = optional_timestamp()
    decided_at: datetime | None = optional_timestamp()
    assignee_id: int | None = Field(default=None, foreign_key="person.id", index=True)  # the agent instructing it
    correction_due: date | None = None  # the filer's deadline while a correction is awaited
    correction_reminded_at: datetime | None = optional_timestamp()
    filer_seen_at: datetime | None = optional_timestamp()  # the thread as each side last read it: unread counts
    agency_seen_at: datetime | None = optional_timestamp()
    # After an AAC is granted or a CPC patient registered: the follow-up forms (and adverse effects) hang on that
    # patient's file; the next follow-up form due, and the due date already reminded by e-mail.
    parent_id: int | None = Field(default=None, foreign_key="filing.id", index=True)
    follow_up_due: date | None = Field(default=None, index=True)
    follow_up_reminded_for: date | None = None


class CaseStat(SQLModel, table=True):
    """The statistics' monthly counts, kept by the case-file engine as files move (``operations.statistics``): a
    page reads a few hundred of them however many files there are. ``bucket`` splits a measure (a refusal's
    motive, a delay in days, a seriousness)."""

    __tablename__ = "case_stat"

    form: str = Field(primary_key=True, max_length=8)
    product: str = Field(primary_key=True, max_length=20)  # the medicine's code (AAC, CPC), "" for ANS forms
    month: str = Field(primary_key=True, max_length=7)  # 2026-12
    measure: str = Field(primary_key=True, max_length=24)
    bucket: str = Field(primary_key=True, max_length=24)
    count: int = 0


class FilingEvent(SQLModel, table=True):
    """The file's history, as the filer and the back office see it (the audit trail keeps its own)."""

    __tablename__ = "filing_event"

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    at: datetime = timestamp()
    actor: str = Field(max_length=40)  # national id
    verb: str = Field(max_length=30)
    auth_method: str = Field(default="", max_length=20)  # how the actor had logged in: the PDF states it
    before: str = Field(max_length=20)
    after: str = Field(max_length=20)
    message: str = Field(default="", sa_type=sa.Text)


class ReferenceCounter(SQLModel, table=True):
    """The last number given per form and year: numbers are gap-free because the row is locked while a
    deposit takes the next one, in the deposit's own transaction."""

    __tablename__ = "reference_counter"

    form: str = Field(primary_key=True, max_length=8)
    year: int = Field(primary_key=True)
    last: int = 0


class OutboxMessage(SQLModel, table=True):
    """An e-mail written in the transaction that caused it, sent after commit; waits while mail is down."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=200)
    subject: str = Field(max_length=200)
    body: str = Field(sa_type=sa.Text)
    filing_id: int | None = Field(default=None, foreign_key="filing.id", index=True)
    created_at: datetime = timestamp()
    next_attempt_at: datetime = timestamp(index=True)
    attempts: int = 0
    last_error: str = Field(default="", max_length=300)
    sent_at: datetime | None = optional_timestamp(index=True)
    message_id: str | None = Field(default=None, max_length=200)  # chosen at the first claim, kept on every resend
    send_started_at: datetime | None = optional_timestamp()


class FilingAttachment(SQLModel, table=True):
    """A proof attached to a filing; its bytes are in :class:`FilingAttachmentContent`, committed with it."""

    __tablename__ = "filing_attachment"

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    name: str = Field(max_length=120)  # as the filer named it, shown only
    content_type: str = Field(max_length=40)  # from the content, never from the browser
    size: int
    sha256: str = Field(max_length=64)
    created_at: datetime = timestamp()
    event_id: int | None = Field(default=None, foreign_key="filing_event.id")  # sent with a message, not a proof


class FilingAttachmentPending(SQLModel, table=True):
    """An attachment whose file was on another node when migration 0012 moved the files into the database:
    ``flask db import-attachments`` on that node brings its bytes in."""

    __tablename__ = "filing_attachment_pending"

    attachment_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("filing_attachment.id",
                                                                             ondelete="CASCADE"), primary_key=True))
    stored_as: str = Field(max_length=80)


class FilingAttachmentContent(SQLModel, table=True):
    """An attachment's bytes, apart from its row so that listing attachments never reads them. In the database:
    they commit and roll back with the row, and every node of the portal reads them (no orphan file, no row
    without its file)."""

    __tablename__ = "filing_attachment_content"

    attachment_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("filing_attachment.id",
                                                                             ondelete="CASCADE"), primary_key=True))
    data: bytes = Field(sa_type=sa.LargeBinary)


class FilingDocument(SQLModel, table=True):
    """The sealed PDF of a filing as deposited; a new version each time it is deposited again."""

    __tablename__ = "filing_document"

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    version: int
    pdf: bytes = Field(sa_type=sa.LargeBinary)
    kind: str = Field(default="depot", max_length=12)  # depot (a deposited form) or decision (AAC)
    sha256: str = Field(default="", max_length=64)
    verification_code: str | None = Field(default=None, max_length=32, unique=True)  # public verification page
    created_at: datetime = timestamp()


class CardOrder(SQLModel, table=True):
    """A card ordered by an accepted F101 or F301: commandée → fabriquée → active → opposée | révoquée."""

    __tablename__ = "card_order"

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    card_type: str = Field(max_length=3)
    civility: str = Field(default="", max_length=10)
    family_name: str = Field(max_length=100)
    given_name: str = Field(max_length=100)
    national_id: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=200)
    birth_date: str = Field(default="", max_length=10)
    justification: str = Field(default="", sa_type=sa.Text)
    state: str = Field(default="commandee", max_length=12, index=True)
    card_id: int | None = Field(default=None, foreign_key="card.id")  # the card made for this order
    delivery: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # an F504 changes it
    revocation_requested_at: datetime | None = optional_timestamp()
    revocation_reason: str = Field(default="", max_length=200)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
