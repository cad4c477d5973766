"""SQLModel tables, one module per aggregate. Importing this package registers every table."""

from .audit import AuditEvent
from .identity import AgencyRole, Card, LoginSession, Person, PracticeActivity
from .pki import Authority, IssuedCertificate
from .referential import ReferentialMedicine
from .structures import Ght, Habilitation, Structure

__all__ = [
    "AgencyRole",
    "Authority",
    "AuditEvent",
    "Card",
    "Ght",
    "Habilitation",
    "IssuedCertificate",
    "LoginSession",
    "Person",
    "PracticeActivity",
    "ReferentialMedicine",
    "Structure",
]
