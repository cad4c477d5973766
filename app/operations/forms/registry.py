"""Every ANS form's behaviour, registered once: a form is added by describing it in the catalogue and by writing
its module here (rules, warnings, effects on deposit and on acceptance)."""

from __future__ import annotations

from app.domain.forms import FORMS

from . import cps_request, f101, f102, f301, f413, f414, f501, f502, f503, f504
from .behaviour import FormBehaviour

MODULES = (f101, f102, cps_request, f301, f413, f414, f501, f502, f503, f504)
BEHAVIOURS: dict[str, FormBehaviour] = {b.code: b for module in MODULES for b in module.BEHAVIOURS}

_NOTHING = {code: FormBehaviour(code) for code in FORMS}  # a form with no rule nor effect beyond its fields


def behaviour(code: str) -> FormBehaviour:
    return BEHAVIOURS.get(code) or _NOTHING[code]
