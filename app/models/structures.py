"""Structures (FINESS EJ/EG or SIRET), GHTs and habilitations of people on structures."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from .base import optional_timestamp, timestamp


class Ght(SQLModel, table=True):
    """A groupement hospitalier de territoire: several EJs that may not share one EJ's certificates."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=200)


class Structure(SQLModel, table=True):
    """An entité juridique (EJ), a site (EG, with its parent EJ) or a structure outside FINESS (SIRET)."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=3)  # EJ, EG, or ORG (outside FINESS)
    name: str = Field(max_length=200)
    finess: str | None = Field(default=None, max_length=9, unique=True)
    siret: str | None = Field(default=None, max_length=14, index=True)
    legal_form: str = Field(default="", max_length=100)
    public: bool = False
    dialysis: bool = False
    # a structure for integration tests only (F414's test identities practise there, never at the real site)
    test_only: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    parent_id: int | None = Field(default=None, foreign_key="structure.id", index=True)
    ght_id: int | None = Field(default=None, foreign_key="ght.id", index=True)
    street: str = Field(default="", max_length=200)
    postal_code: str = Field(default="", max_length=5)
    city: str = Field(default="", max_length=100)
    departement: str = Field(default="", max_length=3)
    contract_signed_at: datetime | None = optional_timestamp()
    # where its cards are delivered (F301's delivery step, changed by an F504): recipient, address, postcode, city
    card_delivery: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = timestamp()

    @property
    def national_id(self) -> str:
        return national_id(self.finess, self.siret)

    @property
    def shown_id(self) -> str:
        """How people read the structure's identifier: « FINESS 440000016 » (the national id's prefix is internal)."""
        return f"FINESS {self.finess}" if self.finess else f"SIRET {self.siret}"

    @property
    def contract_signed(self) -> bool:
        return self.contract_signed_at is not None


class StructureRow:
    """A structure read for a page only (a Core row, no ORM identity: a tenth of the cost): its columns, and the
    same derived identifiers as :class:`Structure`."""

    __slots__ = ("_row",)

    def __init__(self, row) -> None:
        self._row = row

    def __getattr__(self, name: str):
        return getattr(self._row, name)

    def __repr__(self) -> str:
        return f"StructureRow(id={self._row.id})"

    shown_id = property(lambda self: Structure.shown_id.fget(self))
    national_id = property(lambda self: national_id(self.finess, self.siret))
    contract_signed = property(lambda self: self.contract_signed_at is not None)


def national_id(finess: str, siret: str) -> str:
    """The structure's national identifier: 1 + FINESS, or 3 + SIRET for a structure outside FINESS."""
    return f"1{finess}" if finess else f"3{siret}"


class Habilitation(SQLModel, table=True):
    """A person's role on a structure: legal representative, mandataire or technical administrator."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    role: str = Field(max_length=30)
    certificate_family: str | None = Field(default=None, max_length=4)  # ORG or SERV, technical admins only
    granted_at: datetime = timestamp()
    ended_at: datetime | None = optional_timestamp()
    source: str = Field(default="", max_length=40)  # form reference that created it


class ServDomain(SQLModel, table=True):
    """A DNS domain a structure declared for its SERV perimeter in an accepted F413 or F503: its SERV SSL
    certificates may name hosts inside it, nothing else (until domain control is validated by ACME)."""

    __tablename__ = "serv_domain"

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    name: str = Field(max_length=253)
    source: str = Field(default="", max_length=40)  # the form reference that declared it
    declared_at: datetime = timestamp()


ONE_STRUCTURE = sa.select(Structure.__table__).where(Structure.__table__.c.id == sa.bindparam("structure_id"))


class DomainControl(SQLModel, table=True):
    """A domain a structure proves it controls (dns-01 TXT record or http-01 file), asked by one of its technical
    administrators; ``validated_at`` once the portal found the challenge. SERV SSL names fall inside such a domain
    proven within the reuse period of the policy in force (app/domain/domain_control.py)."""

    __tablename__ = "domain_control"

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    name: str = Field(max_length=253)
    method: str = Field(max_length=10)
    token: str = Field(max_length=64)
    requested_by: str = Field(max_length=40)
    created_at: datetime = timestamp()
    validated_at: datetime | None = optional_timestamp()
    validated_by: str = Field(default="", max_length=40)
    last_error: str = Field(default="", max_length=300)  # what the last check found instead, in French
    checking_since: datetime | None = optional_timestamp()  # « Vérifier » asked: the job engine looks
