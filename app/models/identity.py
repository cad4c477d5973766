"""People, their cards and activities, and agency roles granted by operators."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import optional_timestamp, timestamp

EMAIL_ACCOUNT_PREFIX = "courriel:"


class Person(SQLModel, table=True):
    """A professional, identified by the national id with its type prefix (``8``+RPPS, ``0``+ADELI…)."""

    id: int | None = Field(default=None, primary_key=True)
    national_id: str = Field(max_length=40, unique=True, index=True)
    civility: str = Field(default="", max_length=10)
    family_name: str = Field(max_length=100)
    given_name: str = Field(max_length=100)
    profession_code: str = Field(default="", max_length=4)
    profession_category: str = Field(default="", max_length=2)
    email: str = Field(default="", max_length=200)
    email_account: str | None = Field(default=None, max_length=40, unique=True, index=True)  # « courriel:… » login
    created_at: datetime = timestamp()

    @property
    def shown_name(self) -> str:
        """The name as people read it: « Dr » when the card's civility of practice says so (RPPS « DR », as Pro
        Santé Connect gives it; an intern, a médecin too by profession, is not yet one)."""
        return f"{'Dr ' if self.civility == 'DR' else ''}{self.given_name} {self.family_name}".strip()

    @property
    def by_email_only(self) -> bool:
        """Known only by an e-mail link (no card yet): her national id is an internal key, never shown."""
        return self.national_id.startswith(EMAIL_ACCOUNT_PREFIX)


class Card(SQLModel, table=True):
    """A CPx card (CPS, CPF, CPE, CDE, CPA, CDA) and whether its e-CPS is active."""

    # the fleet pages a structure's cards by decreasing id: one index walk per page, however many cards
    __table_args__ = (sa.Index("ix_card_structure_id_id", "structure_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    card_type: str = Field(max_length=3)
    serial: str = Field(max_length=20, unique=True)
    status: str = Field(default="active", max_length=12)
    ecps_active: bool = False
    structure_id: int | None = Field(default=None, foreign_key="structure.id")
    issued_at: datetime = timestamp()
    expires_at: datetime | None = optional_timestamp()


class PracticeActivity(SQLModel, table=True):
    """One situation of practice (PSC's ``activities[]``): a person practising in a structure."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    profession_code: str = Field(max_length=4)
    specialty_code: str = Field(default="", max_length=10)
    practice_mode: str = Field(default="S", max_length=2)
    sector_code: str = Field(default="", max_length=6)
    pharmacy_pui: bool = False


class AgencyRole(SQLModel, table=True):
    """An agency role (ANS operator, ANSM evaluator, a laboratory's correspondent) granted by ``flask roles grant``."""

    id: int | None = Field(default=None, primary_key=True)
    national_id: str = Field(max_length=40, index=True)
    role: str = Field(max_length=30)
    scope: str = Field(default="", max_length=200)  # the laboratory a laboratory role acts for
    granted_by: str = Field(default="cli", max_length=40)
    granted_at: datetime = timestamp()


class LoginSession(SQLModel, table=True):
    """A portal session, server-side so that logout and timeouts really end it.

    The cookie carries only ``id`` (random, rotated at each login).
    """

    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    auth_method: str = Field(max_length=20)
    id_token: str = Field(default="")  # for the provider's end-session id_token_hint
    created_at: datetime = timestamp()
    last_seen_at: datetime = timestamp()
    ended_at: datetime | None = optional_timestamp()
    end_reason: str = Field(default="", max_length=20)


class EmailLink(SQLModel, table=True):
    """A single-use login link sent by e-mail, for a legal representative who has no card yet (F101).
    Only the token's hash is kept; the link works once, within its validity."""

    __tablename__ = "email_link"

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(max_length=64, unique=True)
    email: str = Field(max_length=200, index=True)
    family_name: str = Field(max_length=100)
    given_name: str = Field(max_length=100)
    created_at: datetime = timestamp()
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    used_at: datetime | None = optional_timestamp()
