"""Role names. Agency roles are granted by operators; the others derive from cards and habilitations."""

AGENCY_ROLES = {
    "ans_operator": "Opérateur ANS",
    "ansm_evaluator": "Évaluateur ANSM",
}

HABILITATION_ROLES = {
    "legal_representative": "Représentant légal",
    "mandataire": "Mandataire",
    "technical_admin": "Administrateur technique",
}

CARD_TYPES = ("CPS", "CPF", "CPE", "CDE", "CPA", "CDA")
