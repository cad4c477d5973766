"""A card ordered by an accepted F101 or F301, from order to end of life, as a case-file :class:`Machine`.

commandée → fabriquée → active → opposée (lost or stolen, by the structure) | révoquée (by the agency, e.g.
for a departed agent once the structure asked). The agency's transitions are decisions: the separation of
duties applies to them as to every case file.
"""

from __future__ import annotations

from .casefiles import BACK_OFFICE, Machine, Transition
from .codes import CARD_ORDER_STATES

STRUCTURE = "structure"  # the legal representative or a mandataire of the card's structure

CARD_MACHINE = Machine(CARD_ORDER_STATES, (
    Transition("fabriquer", "Marquer fabriquée", frozenset({"commandee"}), "fabriquee", BACK_OFFICE),
    Transition("activer", "Activer", frozenset({"fabriquee"}), "active", BACK_OFFICE),
    Transition("opposer", "Faire opposition (perte, vol)", frozenset({"fabriquee", "active"}), "opposee",
               STRUCTURE, needs_message=True),
    Transition("demander_revocation", "Demander la révocation", frozenset({"active", "opposee"}), None,
               STRUCTURE, needs_message=True),
    Transition("revoquer", "Révoquer", frozenset({"fabriquee", "active", "opposee"}), "revoquee",
               BACK_OFFICE, needs_message=True),
), {BACK_OFFICE: "à l’agence", STRUCTURE: "à la structure"}, deciders=frozenset({BACK_OFFICE}),
    motive="Indiquez le motif.", motive_field="motif", noun="une carte")


PORTAL = "portail"  # the portal, carrying out what an order's transition or an accepted form decided
# The card itself (Card.status), which every change goes through: an order's transition carries its card along
# (activated, opposed, revoked), and so do an F501 declaration (a card made before the portal's orders is opposed
# directly) and the replacement of a damaged card (revoked once its successor is ordered).
CARD_LIFE = Machine(CARD_ORDER_STATES, (
    Transition("activer", "Activer", frozenset({"fabriquee"}), "active", PORTAL),
    Transition("opposer", "Faire opposition", frozenset({"fabriquee", "active"}), "opposee", PORTAL),
    Transition("revoquer", "Révoquer", frozenset({"fabriquee", "active", "opposee"}), "revoquee", PORTAL),
), {PORTAL: "au portail"}, noun="une carte")
CARRIED = frozenset(CARD_LIFE.transitions)  # the order's verbs its card follows


def card_actions(state: str, by: str, *, requested: bool = False) -> list[Transition]:
    """What ``by`` may do next on a card in ``state`` (a revocation is asked once)."""
    return [t for t in CARD_MACHINE.available(state, by) if not (t.verb == "demander_revocation" and requested)]
