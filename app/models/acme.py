"""The ACME server's state (RFC 8555): accounts bound to EAB credentials, their orders and authorizations, and
the nonces every node shares. Certificates themselves are ``IssuedCertificate`` rows, ordered as CERT case files."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from .base import optional_timestamp, timestamp


class AcmeAccount(SQLModel, table=True):
    """An ACME client's account: its public key (JWK, thumbprint unique), the EAB credentials it was bound with,
    which give its scope (structures, SERV family, the creator's habilitation)."""

    __tablename__ = "acme_account"

    id: int | None = Field(default=None, primary_key=True)
    thumbprint: str = Field(max_length=64, unique=True, index=True)
    jwk: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    eab_credential_id: int = Field(foreign_key="eab_credential.id", unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    contact: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="valid", max_length=12)  # valid, deactivated
    created_at: datetime = timestamp()


class AcmeOrder(SQLModel, table=True):
    """A newOrder: its DNS names, the structure whose declared domains hold them, and once finalized the
    certificate (and its CERT case file, through the certificate's ``filing_id``)."""

    __tablename__ = "acme_order"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="acme_account.id", index=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    names: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=12)  # pending, ready, valid, invalid
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    certificate_id: int | None = Field(default=None, foreign_key="issued_certificate.id")
    error: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = timestamp()
    replaces_id: int | None = Field(default=None, foreign_key="issued_certificate.id")  # ARI's « replaces »


class AcmeAuthorization(SQLModel, table=True):
    """One name of an order to prove, with the token its two challenges (http-01, dns-01) share; ``method`` is the
    challenge the client answered. Valid at once when the structure already proved the name within the reuse
    period (« Mes domaines » or an earlier ACME validation)."""

    __tablename__ = "acme_authorization"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="acme_order.id", index=True)
    name: str = Field(max_length=253)
    status: str = Field(default="pending", max_length=12)  # pending, valid, invalid, deactivated
    token: str = Field(max_length=64)
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    method: str = Field(default="", max_length=10)
    validated_at: datetime | None = optional_timestamp()
    error: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    checking_since: datetime | None = optional_timestamp()  # the client answered: the job engine looks (processing)


class AcmeNonce(SQLModel, table=True):
    """A Replay-Nonce handed out and not yet used: every node reads the same table, a nonce is deleted as it is
    used (single use), and those never used expire."""

    __tablename__ = "acme_nonce"

    value: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
