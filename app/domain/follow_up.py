"""After the decision: the states of the follow-up forms, of a CPC patient's registration and of the laboratory's
periodic report, and the rules a follow-up form holds beyond each field (dates against the decision and the
start of treatment, the weight, a serious effect's criteria). Plain Python."""

from __future__ import annotations

from datetime import date

from . import aac
from .casefiles import FILER, PORTAL, Machine, Transition
from .codes import Code, CodeSet

FOLLOW_UP_STATES = CodeSet("follow_up_state", Code("brouillon", "Brouillon", "info"),
                           Code("transmise", "Transmise", "success"))
FOLLOW_UP_MACHINE = Machine(FOLLOW_UP_STATES, (
    Transition("transmettre", "Transmettre", frozenset({"brouillon"}), "transmise", FILER),
), {FILER: "au déclarant"}, final=frozenset({"transmise"}), noun="une fiche")

CPC_STATES = CodeSet("cpc_state", Code("brouillon", "Brouillon", "info"), Code("inscrit", "Patient inscrit", "success"),
                     Code("termine", "Traitement terminé", "info"))
CPC_MACHINE = Machine(CPC_STATES, (
    Transition("inscrire", "Inscrire le patient", frozenset({"brouillon"}), "inscrit", FILER),
    Transition("terminer", "Fin de traitement", frozenset({"inscrit"}), "termine", PORTAL),
), {FILER: "au prescripteur", PORTAL: "au portail"}, noun="une inscription")

LABORATORY, EVALUATOR = "laboratoire", "evaluateur"
REPORT_STATES = CodeSet("report_state", Code("brouillon", "Brouillon", "info"),
                        Code("deposee", "Déposé, à valider par l’ANSM", "new"),
                        Code("a_modifier", "Modifications demandées", "warning"),
                        Code("valide", "Validé et publié", "success"))
REPORT_MACHINE = Machine(REPORT_STATES, (
    Transition("deposer", "Déposer le rapport", frozenset({"brouillon", "a_modifier"}), "deposee", LABORATORY),
    Transition("valider", "Valider et publier le résumé", frozenset({"deposee"}), "valide", EVALUATOR,
               done="Rapport validé\u00a0: le résumé est publié sur la fiche du produit et envoyé aux prescripteurs et "
                    "pharmaciens concernés."),
    Transition("demander_modifications", "Demander des modifications", frozenset({"deposee"}), "a_modifier",
               EVALUATOR, needs_message=True, done="Modifications demandées au laboratoire."),
), {LABORATORY: "au laboratoire", EVALUATOR: "à l’ANSM"}, deciders=frozenset({EVALUATOR}),
    final=frozenset({"valide"}), noun="un rapport")

PATIENT_FILE_STATES = frozenset({"octroyee", "expiree", "inscrit", "termine"})  # an AAC granted, a CPC patient


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def rules(form: str, data: dict, *, decided_on: date | None, started_on: date | None) -> dict[str, str]:
    """French messages by field for what the form's own fields cannot say: no date before the decision (or the
    registration), no end before the start of treatment, a weight a patient may have, a serious effect's
    criteria."""
    errors: dict[str, str] = {}
    for key in ("date_debut", "date_visite", "date_fin", "date_survenue"):
        day = _date(data.get(key))
        if day is None:
            continue
        if decided_on and day < decided_on:
            errors[key] = f"Cette date précède la décision du {decided_on:%d/%m/%Y}\u00a0: vérifiez-la."
        elif key == "date_fin" and started_on and day < started_on:
            errors[key] = f"La fin de traitement ne peut précéder son début ({started_on:%d/%m/%Y})."
        elif key == "date_visite" and started_on and day < started_on:
            errors[key] = f"Le suivi ne peut précéder le début du traitement ({started_on:%d/%m/%Y})."
    if data.get("poids") and (message := aac.check_weight(data.get("poids"))):
        errors["poids"] = message
    if form == "EI" and data.get("gravite") == "grave" and not data.get("criteres_gravite"):
        errors["criteres_gravite"] = "Un effet grave se déclare avec au moins un critère de gravité."
    if form == "EI" and data.get("gravite") == "non_grave" and data.get("criteres_gravite"):
        errors["gravite"] = "Des critères de gravité sont cochés\u00a0: l’effet est donc grave."
    return errors
