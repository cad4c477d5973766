"""F102's questionnaire: which card the legal representative of a structure that takes no patients receives,
and why — decided from the answers and from whether the structure is in FINESS."""

from __future__ import annotations

from dataclasses import dataclass

F101_INSTEAD = ("La structure prend en charge des patients ou des usagers : la carte de son représentant légal se "
                "demande par le formulaire F101.")
NO_CARD = ("Sans accès de son personnel à des services de santé en ligne, la structure n’a pas besoin de carte : "
           "aucune n’est commandée.")


@dataclass(frozen=True)
class LegalCard:
    card_type: str | None  # None: not eligible
    reason: str


def legal_card_for(*, in_finess: bool, patients: str, online_services: str) -> LegalCard | None:
    """None until both questions are answered."""
    if patients not in ("oui", "non") or online_services not in ("oui", "non"):
        return None
    if patients == "oui":
        return LegalCard(None, F101_INSTEAD)
    if online_services == "non":
        return LegalCard(None, NO_CARD)
    if in_finess:
        return LegalCard("CDE", "Structure enregistrée au FINESS qui ne prend pas en charge de patients : son "
                                "représentant légal reçoit une carte de directeur d’établissement (CDE).")
    return LegalCard("CPA", "Structure hors FINESS (identifiée par son SIRET) qui ne prend pas en charge de "
                            "patients : son représentant légal reçoit une carte de personnel autorisé (CPA).")
