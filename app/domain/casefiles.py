"""Case files (dossiers) as state machines: ANS forms, AAC requests, and who may decide them.

A transition is named by its French domain verb, says which states it leaves from and which it reaches,
who may take it (the filer or the back office), and whether it needs a message (a correction request, a
refusal reason). Plain Python: the operations apply it, the views turn :class:`InvalidTransition` into a
French message next to the field it names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .codes import Code, CodeSet
from .inputs import parse_id
from .permissions import Actor
from .refusals import Refusal

STATES = CodeSet(
    "filing_state",
    Code("brouillon", "Brouillon", "info"),
    Code("depose", "Déposé", "new"),
    Code("en_instruction", "En instruction", "new"),
    Code("a_corriger", "À corriger", "warning"),
    Code("accepte", "Accepté", "success"),
    Code("refuse", "Refusé", "error"),
    Code("classe_sans_suite", "Classé sans suite", "error"),
)
FINAL_STATES = frozenset({"accepte", "refuse", "classe_sans_suite"})
FILER, BACK_OFFICE = "filer", "back_office"


class InvalidTransition(Refusal):
    """The transition cannot be taken now; ``str(exc)`` is French, ``field`` names the form field if any."""


@dataclass(frozen=True)
class Transition:
    verb: str  # code, also the audit action
    label: str  # the French verb on the button
    sources: frozenset[str]
    target: str | None  # None: the state stays, the transition is recorded (a card's revocation asked)
    by: str  # FILER, BACK_OFFICE or a workflow's own role
    needs_message: bool = False
    done: str = ""  # what the person who acted reads once it is done


TRANSITIONS: dict[str, Transition] = {t.verb: t for t in (
    Transition("deposer", "Déposer", frozenset({"brouillon"}), "depose", FILER),
    Transition("passer_en_instruction", "Passer en instruction", frozenset({"depose"}), "en_instruction",
               BACK_OFFICE),
    Transition("demander_correction", "Demander une correction", frozenset({"depose", "en_instruction"}),
               "a_corriger", BACK_OFFICE, needs_message=True),
    Transition("redeposer", "Déposer à nouveau", frozenset({"a_corriger"}), "depose", FILER),
    Transition("accepter", "Accepter", frozenset({"depose", "en_instruction"}), "accepte", BACK_OFFICE),
    Transition("refuser", "Refuser", frozenset({"depose", "en_instruction"}), "refuse", BACK_OFFICE,
               needs_message=True),
    Transition("classer_sans_suite", "Classer sans suite", frozenset({"depose", "en_instruction", "a_corriger"}),
               "classe_sans_suite", BACK_OFFICE, needs_message=True),
)}


@dataclass(frozen=True)
class Involvement:
    """Whom a case file concerns: who filed it, whom it names, which structures it is about (with their EJ)."""

    filer_id: int
    named_ids: frozenset[str] = frozenset()  # national ids the file designates
    named_person_ids: frozenset[int] = frozenset()  # people designated by their record (the AAC's pharmacist)
    structure_ids: frozenset[int] = frozenset()


def named_in(payload) -> frozenset[str]:
    """The national ids a form's payload designates (« identifiant » of its blocks and rows)."""
    found: set[str] = set()
    parts: Iterable = payload.values() if isinstance(payload, dict) else ()
    for part in parts:
        for block in (part if isinstance(part, list) else [part]):
            if isinstance(block, dict) and isinstance(block.get("identifiant"), str) and block["identifiant"].strip():
                found.add(block["identifiant"].strip())
    return frozenset(found)


def involvement_of(filer_id: int, payload: dict, structure_ids) -> Involvement:
    """A case file's involvement from its columns: the national ids it names, the AAC's designated pharmacist
    (« <person id>:<structure id> »), the structures (the file's and its EJ)."""
    pharmacist = parse_id(str(((payload or {}).get("engagement") or {}).get("pharmacien", "")).partition(":")[0])
    return Involvement(filer_id, named_in(payload or {}), frozenset({pharmacist} if pharmacist else ()),
                       frozenset(i for i in structure_ids if i))


CANNOT_DECIDE = "Vous ne pouvez pas instruire ce dossier"


def conflict(agent: Actor, involvement: Involvement) -> str | None:
    """Why ``agent`` may not decide this file (separation of duties), in French; None when they may.

    Nobody decides a file they filed, that names them, or that concerns a structure where they hold a role
    (a habilitation, or a practice there)."""
    if agent.person_id == involvement.filer_id:
        return f"{CANNOT_DECIDE} : vous l’avez déposé."
    if agent.national_id in involvement.named_ids or agent.person_id in involvement.named_person_ids:
        return f"{CANNOT_DECIDE} : il vous désigne."
    if ({h.structure_id for h in agent.habilitations} | agent.activity_structure_ids) & involvement.structure_ids:
        return f"{CANNOT_DECIDE} : vous détenez un rôle dans la structure concernée."
    return None


def require_independent(agent: Actor | None, involvement: Involvement | None) -> None:
    """:class:`InvalidTransition` unless ``agent`` is known and free of any conflict with the file."""
    if agent is None or involvement is None:
        raise InvalidTransition(f"{CANNOT_DECIDE} : agent inconnu.")
    if (why := conflict(agent, involvement)) is not None:
        raise InvalidTransition(why)


class Machine:
    """States and named transitions of one kind of case file; who may act is a role name (FILER, BACK_OFFICE,
    or a workflow's own: the PUI pharmacist, the evaluator, the laboratory). Transitions taken by a ``deciders``
    role are decisions: the agent and the file's involvement must be given, and a conflict refuses them."""

    def __init__(self, states: CodeSet, transitions: tuple[Transition, ...], roles: dict[str, str],
                 deciders: frozenset[str] = frozenset(), *, final: frozenset[str] = frozenset(),
                 motive: str = "Indiquez le motif : il sera transmis au déclarant.", motive_field: str = "message",
                 noun: str = "un dossier"):
        self.states = states
        self.transitions = {t.verb: t for t in transitions}
        self.roles = roles  # role -> "au déclarant", "à l’agence"… for the refusal message
        self.deciders = deciders
        self.final = final  # states where the file is decided (its decision date is set on entering them)
        self.motive, self.motive_field = motive, motive_field
        self.noun = noun  # « un dossier », « une carte », « une demande »: what the refusal calls the file

    def transition(self, state: str, verb: str, *, by: str, message: str = "", agent: Actor | None = None,
                   involvement: Involvement | None = None) -> Transition:
        """The transition ``verb`` from ``state`` taken by ``by``, or :class:`InvalidTransition` saying why not."""
        found = self.transitions.get(verb)
        if found is None:
            raise InvalidTransition("Action inconnue sur ce dossier.")
        if found.by != by:
            raise InvalidTransition(f"« {found.label} » est réservé {self.roles.get(found.by, found.by)}.")
        if state not in found.sources:
            raise InvalidTransition(f"Impossible de « {found.label.lower()} » {self.noun} "
                                    f"{self.states[state].lower()}.")
        if found.needs_message and not message.strip():
            raise InvalidTransition(self.motive, field=self.motive_field)
        if by in self.deciders:
            require_independent(agent, involvement)
        return found

    def available(self, state: str, by: str) -> list[Transition]:
        """What ``by`` may do next on a file in ``state``, in the order the buttons show."""
        return [t for t in self.transitions.values() if t.by == by and state in t.sources]


FORMS_MACHINE = Machine(STATES, tuple(TRANSITIONS.values()), {FILER: "au déclarant", BACK_OFFICE: "à l’agence"},
                        deciders=frozenset({BACK_OFFICE}), final=FINAL_STATES)
PORTAL = "portail"
# A certificate order is deposited by its administrator and delivered at once by the portal (no agent decides).
CERT_MACHINE = Machine(STATES, (
    TRANSITIONS["deposer"],
    Transition("delivrer", "Délivrer", frozenset({"depose"}), "accepte", PORTAL),
), {FILER: "à l’administrateur technique", PORTAL: "au portail"}, final=FINAL_STATES)
transition = FORMS_MACHINE.transition
available = FORMS_MACHINE.available


def reference(form: str, year: int, number: int) -> str:
    """The acknowledgement number: ``F413-2026-000123``."""
    return f"{form}-{year}-{number:06d}"
