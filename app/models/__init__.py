"""SQLModel tables, one module per aggregate. Importing this package registers every table."""

from .audit import AuditEvent
from .identity import AgencyRole, Card, LoginSession, Person, PracticeActivity
from .referential import ReferentialMedicine
from .structures import Ght, Habilitation, Structure

__all__ = [
    "AgencyRole",
    "AuditEvent",
    "Card",
    "Ght",
    "Habilitation",
    "LoginSession",
    "Person",
    "PracticeActivity",
    "ReferentialMedicine",
    "Structure",
]
