"""Compassionate access (AAC) requests: the states, who moves them, what a request must hold, what is not an
AAC, and when the agency's decision is automatic. Plain Python (CSP R.5121-74; reference/000–002)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .casefiles import Machine, Transition
from .codes import Code, CodeSet

PRESCRIBER, PHARMACIST, EVALUATOR, LABORATORY, PORTAL = "prescripteur", "pharmacien", "evaluateur", "laboratoire", \
    "portail"

AAC_STATES = CodeSet(
    "aac_state",
    Code("brouillon", "Brouillon", "info"),
    Code("a_valider_pui", "À valider par la PUI", "new"),
    Code("retournee", "Retournée au prescripteur", "warning"),
    Code("transmise", "Transmise à l’ANSM", "new"),
    Code("en_evaluation", "En évaluation", "new"),
    Code("complements", "Compléments demandés", "warning"),
    Code("donnees_labo", "Données laboratoire demandées", "warning"),
    Code("octroyee", "Octroyée", "success"),
    Code("refusee", "Refusée", "error"),
    Code("classee", "Classée sans suite", "error"),
    Code("expiree", "Expirée", "info"),
)
EVALUATING = frozenset({"transmise", "en_evaluation"})

AAC_MACHINE = Machine(AAC_STATES, (
    Transition("soumettre", "Envoyer à la PUI", frozenset({"brouillon", "retournee"}), "a_valider_pui", PRESCRIBER),
    Transition("retourner", "Retourner au prescripteur", frozenset({"a_valider_pui"}), "retournee", PHARMACIST,
               needs_message=True, done="Demande retournée au prescripteur, avec votre message."),
    Transition("transmettre", "Transmettre à l’ANSM", frozenset({"a_valider_pui"}), "transmise", PHARMACIST),
    Transition("octroyer_automatiquement", "Octroi automatique", frozenset({"transmise"}), "octroyee", PORTAL),
    Transition("evaluer", "Prendre en évaluation", frozenset({"transmise"}), "en_evaluation", EVALUATOR,
               done="Demande prise en évaluation."),
    Transition("demander_complements", "Demander des compléments", EVALUATING, "complements", EVALUATOR,
               needs_message=True, done="Compléments demandés : le prescripteur et la PUI sont prévenus par "
                                        "courriel ; l’un ou l’autre répond depuis la demande."),
    Transition("repondre_prescripteur", "Répondre et renvoyer à l’ANSM", frozenset({"complements"}), "en_evaluation",
               PRESCRIBER, needs_message=True, done="Réponse envoyée : la demande retourne en évaluation à l’ANSM."),
    Transition("repondre", "Répondre et renvoyer à l’ANSM", frozenset({"complements"}), "en_evaluation", PHARMACIST,
               needs_message=True, done="Réponse envoyée : la demande retourne en évaluation à l’ANSM."),
    Transition("demander_donnees_labo", "Demander des données au laboratoire", EVALUATING, "donnees_labo",
               EVALUATOR, needs_message=True, done="Données demandées au laboratoire."),
    Transition("repondre_labo", "Répondre", frozenset({"donnees_labo"}), "en_evaluation", LABORATORY,
               needs_message=True, done="Réponse transmise à l’ANSM."),
    Transition("octroyer", "Octroyer", EVALUATING, "octroyee", EVALUATOR),
    Transition("refuser", "Refuser", EVALUATING, "refusee", EVALUATOR, needs_message=True),
    Transition("classer", "Classer sans suite", EVALUATING | {"complements", "donnees_labo"}, "classee", EVALUATOR,
               needs_message=True, done="Demande classée sans suite."),
    Transition("expirer", "Expirer", frozenset({"octroyee"}), "expiree", PORTAL),
), {PRESCRIBER: "au prescripteur", PHARMACIST: "au pharmacien de la PUI", EVALUATOR: "à l’ANSM",
    LABORATORY: "au laboratoire", PORTAL: "au portail"}, deciders=frozenset({EVALUATOR}),
    final=frozenset({"octroyee", "refusee", "classee"}), noun="une demande")

REFUSAL_REASONS = (
    ("alternative", "Une alternative thérapeutique appropriée est disponible"),
    ("presomption", "La présomption d’efficacité et de sécurité n’est pas établie"),
    ("recherche", "Usage relevant de la recherche impliquant la personne humaine"),
    ("essai", "Un essai clinique ou un accès précoce est accessible au patient"),
    ("sante_publique", "Autre motif de santé publique"),
)
APPEAL_ROUTES = ("Cette décision peut faire l’objet, dans un délai de deux mois à compter de sa notification, d’un "
                 "recours gracieux auprès du directeur général de l’ANSM ou d’un recours contentieux devant le "
                 "tribunal administratif compétent.")
NOT_AAC = {  # answers to the screening question, and why they are not an AAC
    "recherche": "Un usage dans le cadre d’une recherche relève d’un essai clinique, pas d’une autorisation d’accès "
                 "compassionnel : voyez le promoteur de la recherche, ou les essais ouverts (registre européen CTIS, "
                 "répertoire des essais de l’ANSM).",
    "poursuite_essai": "La poursuite d’un traitement à l’issue d’un essai clinique relève du promoteur de l’essai, "
                       "pas d’une AAC.",
    "preparation": "Les préparations hospitalières et magistrales ne relèvent pas de l’AAC.",
    "hors_amm": "Un médicament commercialisé utilisé hors de son AMM relève d’un cadre de prescription "
                "compassionnelle (CPC) : consultez le référentiel, aucune demande n’est nécessaire.",
}
MIN_DAYS, MAX_DAYS = 1, 365
INITIALS = re.compile(r"^[A-Z]{1,2}$")  # two for compound names (Jean-Pierre: JP)


def check_initials(value: str, label: str) -> str | None:
    """Initials only: a name typed in full is refused (the portal keeps no identifying patient data)."""
    cleaned = (value or "").strip().upper().replace(".", "").replace(" ", "")
    if not cleaned:
        return f"Indiquez l’initiale du {label}."
    if not INITIALS.match(cleaned):
        return (f"Seules les initiales du {label} sont demandées (1 ou 2 lettres, ex. « D ») : aucune donnée "
                "identifiante du patient n’est conservée.")
    return None


def initials(value: str) -> str:
    """What may be stored of a typed initial: the initials upper-cased, or nothing when a name was typed."""
    cleaned = (value or "").strip().upper().replace(".", "").replace(" ", "")
    return cleaned if INITIALS.match(cleaned) else ""


def age_from(month: int, year: int, today: date) -> int | None:
    """Age in full years from the birth month and year; None when the date is not a past one."""
    if not (1 <= month <= 12) or year < today.year - 130 or (year, month) > (today.year, today.month):
        return None
    return today.year - year - (1 if month > today.month else 0)


def check_weight(value) -> str | None:
    try:
        weight = float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return "Poids en kilogrammes, par exemple 72 ou 3,4."
    return None if 0.3 <= weight <= 350 else "Le poids doit être compris entre 0,3 et 350 kg."


def check_duration(value) -> str | None:
    try:
        days = int(value)
    except (TypeError, ValueError):
        return "Durée de traitement en jours (1 à 365)."
    return None if MIN_DAYS <= days <= MAX_DAYS else "La durée de traitement va de 1 jour à 1 an (365 jours)."


def indication_open(indication: dict | None) -> bool:
    """A listed indication still under AAC (the evaluator may end one while the product stays open)."""
    return indication is not None and indication.get("status", "en_cours") != "terminee"


@dataclass(frozen=True)
class Conformity:
    automatic: bool
    reasons: tuple[str, ...]  # why not, in French, when it is not


def conformity(*, referenced: bool, open_to_aac: bool, indication_listed: bool, criteria: tuple[str, ...],
               attested: frozenset[str], prescriber_allowed: bool, days: int, max_days: int,
               indication_is_open: bool = True) -> Conformity:
    """The automatic decision: referenced and open product, listed and open indication, every criterion attested,
    prescriber category allowed, duration within the product's maximum. Otherwise the evaluator decides."""
    reasons = []
    if not referenced:
        reasons.append("médicament hors référentiel")
    elif not open_to_aac:
        reasons.append("accès compassionnel terminé pour ce médicament")
    if not indication_listed:
        reasons.append("indication hors de la liste du produit")
    elif not indication_is_open:
        reasons.append("accès compassionnel terminé dans cette indication")
    if indication_listed and not set(criteria) <= attested:
        reasons.append("critères d’octroi non tous attestés")
    if not prescriber_allowed:
        reasons.append("catégorie de prescripteur non autorisée")
    if days > max_days:
        reasons.append(f"durée supérieure au maximum du produit ({max_days} jours)")
    return Conformity(not reasons, tuple(reasons))
