"""What depositing and accepting an ANS form change, in the deposit's or the acceptance's own transaction (each
form's module says it; ``registry.py`` finds it)."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Filing, Structure

from .means import Means
from .registry import behaviour


def apply(db: Session, filing: Filing, actor: str, means: Means) -> None:
    effect = behaviour(filing.form).on_acceptance
    if effect is not None:
        effect(db, filing, actor, db.get(Structure, filing.structure_id), means)


def on_deposit(db: Session, filing: Filing, actor: str, means: Means) -> None:
    effect = behaviour(filing.form).on_deposit
    if effect is not None:
        effect(db, filing, actor, db.get(Structure, filing.structure_id), means)
