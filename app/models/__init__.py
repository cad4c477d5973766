"""SQLModel tables, one module per aggregate. Importing this package registers every table."""

from .acme import AcmeAccount, AcmeAuthorization, AcmeNonce, AcmeOrder
from .audit import AuditEvent
from .casefiles import (
    CardOrder,
    CaseStat,
    Filing,
    FilingAttachment,
    FilingAttachmentContent,
    FilingAttachmentPending,
    FilingDocument,
    FilingEvent,
    OutboxMessage,
    ReferenceCounter,
)
from .identity import AgencyRole, Card, EmailLink, LoginSession, Person, PracticeActivity
from .jobs import JobState
from .pki import ApiToken, Authority, CertificateNotice, EabCredential, IssuedCertificate
from .referential import ReferentialMedicine
from .structures import DomainControl, Ght, Habilitation, ServDomain, Structure

__all__ = [
    "AcmeAccount",
    "AcmeAuthorization",
    "AcmeNonce",
    "AcmeOrder",
    "AgencyRole",
    "ApiToken",
    "EabCredential",
    "Authority",
    "AuditEvent",
    "Card",
    "CardOrder",
    "CaseStat",
    "CertificateNotice",
    "EmailLink",
    "Filing",
    "FilingAttachment",
    "FilingAttachmentContent",
    "FilingAttachmentPending",
    "FilingDocument",
    "FilingEvent",
    "Ght",
    "JobState",
    "Habilitation",
    "IssuedCertificate",
    "LoginSession",
    "OutboxMessage",
    "Person",
    "PracticeActivity",
    "ReferenceCounter",
    "ReferentialMedicine",
    "DomainControl",
    "ServDomain",
    "Structure",
]
