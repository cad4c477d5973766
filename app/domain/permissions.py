"""Who may do what on which structure: one function, ``can(actor, action, target)``.

Roles are derived server-side: from the profession (prescriber, hospital pharmacist), from
habilitations on structures (legal representative, mandataire, technical administrator ORG/SERV),
and from agency grants (ANS operator, ANSM evaluator). Nothing the client sends grants a role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

STUDENT_CATEGORY = "E"
AAC_BEFORE_AGENCY = frozenset({"brouillon", "a_valider_pui", "retournee"})  # a request the agency does not see yet


@dataclass(frozen=True)
class StructureRef:
    """What a rule needs to know of a structure: its id and its parent EJ (for sites)."""

    id: int
    parent_id: int | None = None


def structure_and_its_ej(structure) -> list[int]:
    """A structure and, for a site, its EJ: where a role on either applies (anything with ``id``, ``parent_id``)."""
    return [structure.id] + ([structure.parent_id] if structure.parent_id else [])


@dataclass(frozen=True)
class HabilitationRef:
    structure_id: int
    role: str
    certificate_family: str | None = None


@dataclass(frozen=True)
class Reach:
    """Roles and where they apply: on the structure a habilitation names and, when it names an EJ, on its sites.

    One definition for both sides: :meth:`covers` answers ``can()``, :meth:`held_on` gives the structures a listing
    filters on (``app/operations/rights.py`` adds their sites in SQL), so a page never opens what its list hides."""

    roles: frozenset[str]

    def held_on(self, actor: Actor, family: str | None = None) -> frozenset[int]:
        """The structures the actor holds one of the roles on (for ``family`` only, if given)."""
        return frozenset(h.structure_id for h in actor.habilitations
                         if h.role in self.roles and (family is None or h.certificate_family == family))

    def covers(self, actor: Actor, structure, family: str | None = None) -> bool:
        """The structure itself, or its EJ when it is a site, is one the actor holds a role on."""
        return not self.held_on(actor, family).isdisjoint(structure_and_its_ej(structure))


MANAGERS = Reach(frozenset({"legal_representative", "mandataire"}))  # file for the structure, follow its files
TECHNICAL_ADMINISTRATORS = Reach(frozenset({"technical_admin"}))  # its certificates, per family
STRUCTURE_ROLES = Reach(MANAGERS.roles | TECHNICAL_ADMINISTRATORS.roles)  # see the structure's page


@dataclass(frozen=True)
class Actor:
    national_id: str = ""
    person_id: int = 0
    display_name: str = ""
    profession_code: str = ""
    profession_category: str = ""
    auth_method: str = ""
    activity_structure_ids: frozenset[int] = frozenset()
    pui_structure_ids: frozenset[int] = frozenset()  # where the person practises as a PUI pharmacist
    habilitations: tuple[HabilitationRef, ...] = ()
    agency_roles: frozenset[str] = frozenset()
    laboratories: frozenset[str] = frozenset()  # for a laboratory role: whose products' data requests it sees
    crpv_regions: frozenset[str] = frozenset()  # for a CRPV: the regions whose adverse-effect declarations it reads

    @property
    def authenticated(self) -> bool:
        return bool(self.national_id)

    @property
    def is_prescriber(self) -> bool:
        """A médecin, or an interne en médecine (student category, CPF)."""
        return self.profession_code == "10"

    @property
    def is_hospital_pharmacist(self) -> bool:
        """A pharmacist with a current activity in a PUI: the profession alone is not enough."""
        return self.profession_code == "21" and bool(self.pui_structure_ids)

    def has_role_on(self, structure: StructureRef, *roles: str, family: str | None = None) -> bool:
        """A habilitation on the structure itself, or on its EJ when the structure is a site."""
        return Reach(frozenset(roles)).covers(self, structure, family)

    def roles(self) -> list[str]:
        labels = []
        if self.is_prescriber:
            labels.append("Prescripteur" + (" (interne)" if self.profession_category == STUDENT_CATEGORY else ""))
        if self.is_hospital_pharmacist:
            labels.append("Pharmacien hospitalier")
        from .codes import AGENCY_ROLES, HABILITATION_ROLES

        labels += sorted({HABILITATION_ROLES[h.role] for h in self.habilitations})
        labels += sorted(AGENCY_ROLES[r] for r in self.agency_roles)
        return labels


ANONYMOUS = Actor()

# Rules: action -> predicate(actor, target). Unknown actions are refused.
Rule = Callable[[Actor, object], bool]


def _authenticated(actor: Actor, _target) -> bool:
    return actor.authenticated


def _view_structure(actor: Actor, target) -> bool:
    if "ans_operator" in actor.agency_roles:
        return True
    return STRUCTURE_ROLES.covers(actor, target) or target.id in actor.activity_structure_ids


def _manage_structure(actor: Actor, target) -> bool:
    return MANAGERS.covers(actor, target)


@dataclass(frozen=True)
class NewFiling:
    """A form about to be opened on a structure: who may file it depends on the form."""

    form: str
    filed_by: frozenset[str]  # habilitation roles; empty: any professional (F101 establishes the role)
    structure: StructureRef


@dataclass(frozen=True)
class CaseRef:
    """A case file as the rules see it: its structure, who filed it, and its state (a draft is its author's)."""

    id: int
    filer_id: int
    structure: StructureRef
    state: str = "depose"


def _start_filing(actor: Actor, target: NewFiling) -> bool:
    return not target.filed_by or actor.has_role_on(target.structure, *target.filed_by)


def _view_filing(actor: Actor, target: CaseRef) -> bool:
    """The filer always; once deposited, the agency and the structure's legal representative and mandataires."""
    if target.filer_id == actor.person_id:
        return True
    return target.state != "brouillon" and (
        "ans_operator" in actor.agency_roles or MANAGERS.covers(actor, target.structure))


def _edit_filing(actor: Actor, target: CaseRef) -> bool:
    return target.filer_id == actor.person_id


@dataclass(frozen=True)
class AacFollowing:
    """Which compassionate-access requests an actor follows: their own; a PUI pharmacist, the PUI's once sent (a
    draft is its prescriber's alone); the ANSM evaluator, those the agency received. One definition, read by
    ``can("aac.view")`` and by the history pages' SQL (``operations/aac.followed_requests``)."""

    filer_id: int
    pui_ids: frozenset[int] = frozenset()
    agency: bool = False

    def follows(self, filer_id: int, structure_id: int | None, state: str) -> bool:
        return (filer_id == self.filer_id or (self.agency and state not in AAC_BEFORE_AGENCY)
                or (structure_id in self.pui_ids and state != "brouillon"))


def aac_following(actor: Actor, *, own: bool = False, agency: bool = True) -> AacFollowing:
    """``own``: the actor's own requests only (« Mes demandes »); ``agency``: with the evaluator's reach."""
    return AacFollowing(actor.person_id,
                        frozenset() if own or not actor.is_hospital_pharmacist else actor.pui_structure_ids,
                        agency and not own and "ansm_evaluator" in actor.agency_roles)


def _fills_follow_up(actor: Actor, target) -> bool:
    """The prescriber of the patient's file, or a delegate of the service as the product's protocol allows: the PUI
    pharmacist of the file's establishment, a nurse practising there."""
    delegates = target.protocol.delegates
    return ((target.filer_id == actor.person_id and actor.is_prescriber)
            or ("pharmacien" in delegates and actor.is_hospital_pharmacist
                and target.structure_id in actor.pui_structure_ids)
            or ("infirmier" in delegates and actor.profession_code == "60"
                and target.structure_id in actor.activity_structure_ids))


def _follows_patient(actor: Actor, target) -> bool:
    """The patient's file: whoever follows the request (prescriber, PUI, agency) or fills its forms (a delegate)."""
    return (aac_following(actor).follows(target.filer_id, target.structure_id, target.filing.state)
            or _fills_follow_up(actor, target))


def _reads_adverse_effect(actor: Actor, target) -> bool:
    """A declaration: whoever follows the patient's file (the agency included), and the one it was addressed to:
    the CRPV of its region, or the laboratory when the protocol says so."""
    payload = target.form.payload
    to_laboratory = payload.get("destinataire") == "laboratoire"
    return (_follows_patient(actor, target)
            or (not to_laboratory and payload.get("region", "") in actor.crpv_regions)
            or (to_laboratory and target.laboratory in actor.laboratories))


def _agency(role: str) -> Rule:
    return lambda actor, _target: role in actor.agency_roles


RULES: dict[str, Rule] = {
    "dashboard.view": _authenticated,
    "structure.view": _view_structure,
    "structure.manage": _manage_structure,
    "structure.follow": lambda actor, target: _manage_structure(actor, target) or "ans_operator" in actor.agency_roles,
    "certificate.order_view": lambda actor, target: target.form == "CERT" and target.filer_id == actor.person_id,
    "api_token.revoke": lambda actor, target: target.person_id == actor.person_id,
    "eab.revoke": lambda actor, target: target.person_id == actor.person_id,
    "agency.ans": _agency("ans_operator"),
    "filing.start": _start_filing,
    "filing.view": _view_filing,
    "filing.edit": _edit_filing,
    "filing.instruct": lambda actor, target: ("ans_operator" in actor.agency_roles
                                              and (target is None or target.state != "brouillon")),
    "certificate.order": lambda actor, _target: any(h.role == "technical_admin" for h in actor.habilitations),
    "certificate.manage": lambda actor, target: TECHNICAL_ADMINISTRATORS.covers(actor, target.structure,
                                                                                 family=target.family),
    "aac.file": lambda actor, _target: actor.is_prescriber,
    "aac.view": lambda actor, target: (aac_following(actor).follows(target.filer_id, target.structure_id,
                                                                     target.filing.state)
                                       or (target.laboratory in actor.laboratories
                                           and target.filing.payload.get("donnees_labo_demandees", False))),
    "aac.edit": lambda actor, target: target.filer_id == actor.person_id and actor.is_prescriber,
    "aac.pui": lambda actor, target: actor.is_hospital_pharmacist and target.structure_id in actor.pui_structure_ids,
    "aac.evaluate": lambda actor, target: ("ansm_evaluator" in actor.agency_roles
                                           and (target is None or target.filing.state not in AAC_BEFORE_AGENCY)),
    "aac.laboratory": lambda actor, target: (target.laboratory in actor.laboratories
                                             and target.filing.payload.get("donnees_labo_demandees", False)),
    "aac.laboratory_inbox": lambda actor, _target: bool(actor.laboratories),
    "aac.menu": lambda actor, _target: (actor.is_prescriber or actor.is_hospital_pharmacist
                                        or "ansm_evaluator" in actor.agency_roles or bool(actor.laboratories)),
    "follow_up.view": _follows_patient,
    "follow_up.fill": _fills_follow_up,
    "follow_up.declare": lambda actor, target: (_fills_follow_up(actor, target) or (
        actor.is_hospital_pharmacist and target.structure_id in actor.pui_structure_ids)),
    "follow_up.edit": lambda actor, target: (target.form.filer_id == actor.person_id
                                             and target.form.state == "brouillon"),
    "follow_up.read": lambda actor, target: (_reads_adverse_effect(actor, target) if target.form.form == "EI"
                                             else _follows_patient(actor, target)
                                             or (target.form.filer_id == actor.person_id)),
    "follow_up.late": lambda actor, _target: actor.is_prescriber or actor.is_hospital_pharmacist,
    "cpc.register": lambda actor, _target: actor.is_prescriber,
    "vigilance.read": lambda actor, _target: bool(actor.crpv_regions or actor.laboratories) or (
        "ansm_evaluator" in actor.agency_roles),
    "laboratory.product": lambda actor, target: target.laboratory in actor.laboratories,
    "report.view": lambda actor, target: ("ansm_evaluator" in actor.agency_roles
                                          or target.laboratory in actor.laboratories),
    "report.evaluate": _agency("ansm_evaluator"),
    "statistics.ansm": _agency("ansm_evaluator"),
    "statistics.ans": _agency("ans_operator"),
    "card.manage": lambda actor, target: MANAGERS.covers(actor, target.structure),
    "card.instruct": _agency("ans_operator"),
    "filing.attachment": lambda actor, target: _edit_filing(actor, target) or (
        target.state != "brouillon" and "ans_operator" in actor.agency_roles),
}


def can(actor: Actor, action: str, target=None) -> bool:
    """Whether ``actor`` may perform ``action`` on ``target`` (a StructureRef or None)."""
    rule = RULES.get(action)
    if rule is None or not actor.authenticated:
        return False
    return bool(rule(actor, target))
