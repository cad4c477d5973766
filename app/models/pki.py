"""Certification authorities and the certificates they issued. Public material only: keys stay in the HSM."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from .base import optional_timestamp, timestamp


class Authority(SQLModel, table=True):
    """A CA of the hierarchy (root, organisations, personnes), its certificate and its current CRL."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=30, unique=True)
    key_label: str = Field(max_length=64)
    parent_id: int | None = Field(default=None, foreign_key="authority.id")
    certificate_der: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    crl_number: int = 0
    crl_der: bytes | None = Field(default=None, sa_column=Column(sa.LargeBinary, nullable=True))
    crl_next_update: datetime | None = optional_timestamp()
    created_at: datetime = timestamp()


class IssuedCertificate(SQLModel, table=True):
    """An issued certificate: stored only together with its signed DER, in the issuing transaction."""

    __tablename__ = "issued_certificate"

    id: int | None = Field(default=None, primary_key=True)
    serial_hex: str = Field(max_length=40, unique=True, index=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    profile: str = Field(max_length=20)
    structure_id: int | None = Field(default=None, foreign_key="structure.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    subject: str = Field(max_length=500)
    common_name: str = Field(max_length=200)
    dns_names: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    spki_sha256: str = Field(max_length=64, index=True)  # a renewal may keep its key (issuance.py decides)
    key_description: str = Field(max_length=30)
    key_label: str | None = Field(default=None, max_length=64)  # private key held in the portal's token
    der: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    not_before: datetime = Field(sa_type=sa.DateTime(timezone=True))
    not_after: datetime = Field(sa_type=sa.DateTime(timezone=True))
    requested_by: str = Field(max_length=40)
    contact_emails: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    renewed_from_id: int | None = Field(default=None, foreign_key="issued_certificate.id")
    usage: str = Field(default="", max_length=8)  # DMP, INSI, PSC, MSS, AUTRE (domain/products.py)
    filing_id: int | None = Field(default=None, foreign_key="filing.id", index=True)  # the order (CERT-…)
    card_id: int | None = Field(default=None, foreign_key="card.id", index=True)  # a card's authentication cert
    revoked_at: datetime | None = optional_timestamp()
    revocation_reason: str = Field(default="", max_length=30)
    # ARI (RFC 9773): a window the agency moved earlier (a mass revocation ahead), and why; None: the default one
    renewal_window_start: datetime | None = optional_timestamp()
    renewal_window_end: datetime | None = optional_timestamp()
    renewal_explanation: str = Field(default="", max_length=300)
    created_at: datetime = timestamp()


class CertificateNotice(SQLModel, table=True):
    """An expiry notice sent for a certificate: at most one per threshold, however often the job runs."""

    __tablename__ = "certificate_notice"
    __table_args__ = (sa.UniqueConstraint("certificate_id", "threshold", name="uq_certificate_notice"),)

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="issued_certificate.id", index=True)
    threshold: str = Field(max_length=12)  # un_mois, expire
    sent_at: datetime = timestamp()


class ApiToken(SQLModel, table=True):
    """A token an editor's software renews certificates with: created by a technical administrator, scoped to
    some of their structures and families, shown once and stored hashed, expiring, revocable."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    name: str = Field(max_length=100)
    token_sha256: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)  # shown in lists, to tell tokens apart
    structure_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    families: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp()
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = optional_timestamp()
    last_used_at: datetime | None = optional_timestamp()


class EabCredential(SQLModel, table=True):
    """External Account Binding credentials (RFC 8555 §7.3.4) a SERV technical administrator gives an ACME
    client: a key identifier, and an HMAC key shown once and then kept only in the HSM (``key_label``), never in
    the database; scoped to some of the creator's structures, expiring, revocable, void once the creator's SERV
    habilitation ends."""

    __tablename__ = "eab_credential"

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(max_length=64, unique=True, index=True)
    key_label: str = Field(max_length=80)
    person_id: int = Field(foreign_key="person.id", index=True)
    name: str = Field(max_length=100)
    structure_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp()
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = optional_timestamp()
    used_at: datetime | None = optional_timestamp()  # bound to an ACME account: single use
