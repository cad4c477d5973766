"""Every code set in one place: each code with its French label and, where the UI shows it as a badge,
its DSFR badge modifier. Plain Python, no Flask; views and templates read labels from here only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


def lowered(label: str) -> str:
    """A label inside a sentence: its first letter lower-cased, acronyms kept (« à valider par la PUI »)."""
    return label[:1].lower() + label[1:] if label[1:2].islower() or label[1:2] == " " else label


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    badge: str = "info"  # DSFR fr-badge--<badge>: success, error, warning, info, new


class CodeSet:
    """An ordered, read-only table of codes; ``codes[code]`` is the label, as a dict would give it."""

    def __init__(self, name: str, *codes: Code):
        self.name = name
        self._codes = {c.code: c for c in codes}

    def __getitem__(self, code: str) -> str:
        return self._codes[code].label

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def get(self, code: str, default: str | None = None) -> str | None:
        found = self._codes.get(code)
        return found.label if found else default

    def items(self) -> Iterator[tuple[str, str]]:
        return ((c.code, c.label) for c in self._codes.values())

    def badge(self, code: str) -> str:
        return self._codes[code].badge


PROFESSIONS = CodeSet(  # TRE_G15, the professions the portal meets
    "profession",
    Code("10", "Médecin"), Code("21", "Pharmacien"), Code("60", "Infirmier"), Code("40", "Chirurgien-dentiste"),
    Code("50", "Sage-femme"), Code("26", "Audioprothésiste"), Code("28", "Opticien-lunetier"),
    Code("70", "Masseur-kinésithérapeute"), Code("80", "Pédicure-podologue"), Code("81", "Orthoprothésiste"),
    Code("82", "Podo-orthésiste"), Code("83", "Orthopédiste-orthésiste"), Code("84", "Oculariste"),
    Code("85", "Épithésiste"), Code("91", "Orthophoniste"), Code("92", "Orthoptiste"), Code("94", "Ergothérapeute"),
    Code("95", "Diététicien"), Code("96", "Psychomotricien"), Code("98", "Manipulateur ERM"),
)
# F201: salaried auxiliaires médicaux; F202: the appliance professions. Neither gets a CPS from the RPPS on its own.
AUXILIARIES = ("60", "70", "80", "91", "92", "94", "95", "96", "98")
APPLIANCE_PROFESSIONS = ("26", "28", "81", "82", "83", "84", "85")
AGENCY_ROLES = CodeSet(  # granted by operators (`flask roles grant`)
    "agency_role",
    Code("ans_operator", "Opérateur ANS"), Code("ansm_evaluator", "Évaluateur ANSM"),
    Code("laboratory", "Laboratoire exploitant"), Code("crpv", "Centre régional de pharmacovigilance"),
)
HABILITATION_ROLES = CodeSet(  # held on a structure, from the ANS forms
    "habilitation_role",
    Code("legal_representative", "Représentant légal"), Code("mandataire", "Mandataire"),
    Code("technical_admin", "Administrateur technique"),
)
CARD_TYPES = CodeSet(
    "card_type",
    Code("CPS", "Carte de professionnel de santé"), Code("CPF", "Carte de professionnel en formation"),
    Code("CPE", "Carte de personnel d’établissement"), Code("CDE", "Carte de directeur d’établissement"),
    Code("CPA", "Carte de personnel autorisé"), Code("CDA", "Carte de directeur d’organisme autorisé"),
)
AUTH_METHODS = CodeSet(
    "auth_method",
    Code("psc-card", "Pro Santé Connect – carte CPx"), Code("psc-mobile", "Pro Santé Connect – e-CPS"),
    Code("cps-tls", "Carte CPx et lecteur (certificat d’authentification)"),
    Code("email-link", "Lien à usage unique envoyé par courriel"),
)
REFERENTIAL_FRAMEWORKS = CodeSet(  # the référentiel des spécialités en accès dérogatoire
    "referential_framework",
    Code("AAC", "Autorisation d’accès compassionnel", "info"), Code("AAP", "Accès précoce", "new"),
    Code("CPC", "Cadre de prescription compassionnelle", "new"),
)
CARD_ORDER_STATES = CodeSet(  # a card ordered by an accepted F101 or F301
    "card_order_state",
    Code("commandee", "Commandée", "new"), Code("fabriquee", "Fabriquée", "info"), Code("active", "Active", "success"),
    Code("opposee", "Opposée", "warning"), Code("revoquee", "Révoquée", "error"),
)
