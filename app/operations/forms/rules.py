"""The ANS forms' rules that need the portal's records, gathered for one filing: the fields' own checks, the
contract, who may file, then the form's own rules (its module, ``registry.py``).

``errors(db, filing)`` gathers every problem as {step: {field: French message}}; empty means the filing may
be deposited (and, checked again, accepted).
"""

from __future__ import annotations

from sqlmodel import Session

from app.domain.forms import FORMS, all_errors
from app.domain.forms.schema import FormSpec
from app.models import Filing, Structure

from .people import filer_roles
from .registry import behaviour


def errors(db: Session, filing: Filing) -> dict[str, dict[str, str]]:
    spec: FormSpec = FORMS[filing.form]
    found = all_errors(spec, filing.payload)
    structure = db.get(Structure, filing.structure_id)
    if spec.needs_contract and not structure.contract_signed:
        found.setdefault(spec.steps[0].name, {})["structure"] = (
            "La structure n’a pas de contrat d’adhésion : son représentant légal doit d’abord déposer un F101.")
    if spec.filed_by and not filer_roles(db, filing, spec.filed_by):
        found.setdefault(spec.steps[0].name, {})["structure"] = (
            "Seul le représentant légal ou un mandataire de la structure dépose ce formulaire\u00a0: vous n’y avez "
            "plus ce rôle.")
    rule = behaviour(filing.form).rules
    if rule is not None:
        rule(db, filing, structure, filing.payload, found)
    return found


def back_office_warnings(db: Session, filing: Filing) -> list[str]:
    """What the agent should know before deciding (not a refusal), per form."""
    warn = behaviour(filing.form).warnings
    return warn(db, filing) if warn else []


def assessment(db: Session, filing: Filing) -> tuple[str, str, str] | None:
    """What the summary tells the filer the form will decide, before they deposit it: (kind, text, title)."""
    assess = behaviour(filing.form).assessment
    return assess(db, filing) if assess else None
