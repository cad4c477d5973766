"""What one ANS form does beyond its description (``app/domain/forms/catalogue.py``): the rules that need the
portal's records, what the agent is warned of before deciding, what depositing and accepting it change. Each form
says it in its own module (``f101.py``…), registered once in ``registry.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from app.domain.forms import FORMS
from app.domain.forms.schema import FormSpec
from app.models import Filing, Structure

from .means import Means

Rule = Callable[[Session, Filing, Structure, dict, dict], None]  # adds {step: {field: message}} to its last argument
Effect = Callable[[Session, Filing, str, Structure, Means], None]  # in the deposit's or the acceptance's transaction


@dataclass(frozen=True)
class FormBehaviour:
    code: str
    rules: Rule | None = None
    warnings: Callable[[Session, Filing], list[str]] | None = None
    on_deposit: Effect | None = None  # at once, every deposit (a lost card is opposed before anyone looks)
    on_acceptance: Effect | None = None
    assessment: Callable[[Session, Filing], tuple[str, str, str] | None] | None = None  # told before deposit

    @property
    def description(self) -> FormSpec:
        return FORMS[self.code]
