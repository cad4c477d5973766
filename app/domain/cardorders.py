"""A card ordered by an accepted F101 or F301, from order to end of life.

commandée → fabriquée → active → opposée (lost or stolen, by the structure) | révoquée (by the agency, e.g.
for a departed agent once the structure asked). Plain Python, as the case files.
"""

from __future__ import annotations

from dataclasses import dataclass

from .casefiles import BACK_OFFICE, InvalidTransition, Involvement, require_independent
from .codes import CARD_ORDER_STATES
from .permissions import Actor

STRUCTURE = "structure"  # the legal representative or a mandataire of the card's structure


@dataclass(frozen=True)
class CardTransition:
    verb: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the state stays, a request is recorded
    by: str
    needs_reason: bool = False


CARD_TRANSITIONS = {t.verb: t for t in (
    CardTransition("fabriquer", "Marquer fabriquée", frozenset({"commandee"}), "fabriquee", BACK_OFFICE),
    CardTransition("activer", "Activer", frozenset({"fabriquee"}), "active", BACK_OFFICE),
    CardTransition("opposer", "Faire opposition (perte, vol)", frozenset({"fabriquee", "active"}), "opposee",
                   STRUCTURE, needs_reason=True),
    CardTransition("demander_revocation", "Demander la révocation", frozenset({"active", "opposee"}), None,
                   STRUCTURE, needs_reason=True),
    CardTransition("revoquer", "Révoquer", frozenset({"fabriquee", "active", "opposee"}), "revoquee",
                   BACK_OFFICE, needs_reason=True),
)}


def card_transition(state: str, verb: str, *, by: str, reason: str = "", requested: bool = False,
                    agent: Actor | None = None, involvement: Involvement | None = None) -> CardTransition:
    """The card transition, or :class:`InvalidTransition`; the agency's own ones follow the case files'
    separation of duties (nobody fabricates or revokes their own card, nor one of a structure of theirs)."""
    found = CARD_TRANSITIONS.get(verb)
    if found is None or found.by != by:
        raise InvalidTransition("Action impossible sur cette carte.")
    if by == BACK_OFFICE:
        require_independent(agent, involvement)
    if state not in found.sources:
        raise InvalidTransition(
            f"Impossible de « {found.label.lower()} » une carte {CARD_ORDER_STATES[state].lower()}.")
    if verb == "demander_revocation" and requested:
        raise InvalidTransition("La révocation de cette carte est déjà demandée.")
    if found.needs_reason and not reason.strip():
        raise InvalidTransition("Indiquez le motif.", field="motif")
    return found


def card_actions(state: str, by: str, *, requested: bool = False) -> list[CardTransition]:
    return [t for t in CARD_TRANSITIONS.values() if t.by == by and state in t.sources
            and not (t.verb == "demander_revocation" and requested)]
