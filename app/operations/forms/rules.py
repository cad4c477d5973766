"""The ANS forms' rules that need the portal's records: who may file, active cards, FINESS juridique or
géographique, one legal entity per F413, the contract, who is eligible for a staff card.

``errors(db, filing)`` gathers every problem as {step: {field: French message}}; empty means the filing may
be deposited (and, checked again, accepted).
"""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.casefiles import STATES
from app.domain.codes import HABILITATION_ROLES, PROFESSIONS
from app.domain.forms import FORMS, all_errors
from app.domain.forms.questionnaire import LegalCard, legal_card_for
from app.domain.forms.schema import FormSpec
from app.domain.identifiers import InvalidIdentifier, parse_national_id
from app.models import Card, Filing, Habilitation, Person, Structure
from app.operations.cardorders import waiting_for_delivery

from . import incidents, test_cards
from .prefill import belongs_to, family_of

HEALTH_PROFESSIONAL_PREFIXES = ("8", "0")  # RPPS and ADELI: their cards come from the professional registers


def certified_identifier_rule(structure: Structure) -> str | None:
    """Why this structure may not carry an F413 (FINESS EJ for public hospitals and dialysis centres, EG for
    private establishments, SIRET outside FINESS), or None when it may."""
    if structure.kind == "ORG":
        return None if structure.siret else "Une structure hors FINESS est identifiée par son SIRET."
    if (structure.public or structure.dialysis) and structure.kind != "EJ":
        return ("Les établissements publics et les centres de dialyse déclarent leurs administrateurs au niveau "
                "du FINESS juridique (EJ) : déposez le formulaire pour l’entité juridique.")
    if not (structure.public or structure.dialysis) and structure.kind != "EG":
        return ("Les établissements privés déclarent leurs administrateurs au niveau du FINESS géographique "
                "(EG) : déposez un formulaire par site.")
    return None


def card_type_for(structure: Structure, *, director: bool) -> str:
    """CDE/CPE for care establishments (FINESS), CDA/CPA for the other authorised organisations."""
    if structure.finess:
        return "CDE" if director else "CPE"
    return "CDA" if director else "CPA"


def person_with_active_card(db: Session, national_id: str) -> Person | None:
    return db.exec(select(Person).join(Card, Card.person_id == Person.id)
                   .where(Person.national_id == national_id, Card.status == "active")).first()


def _holds(db: Session, person_id: int, structure_id: int, role: str, family: str | None = None) -> bool:
    query = select(Habilitation.id).where(Habilitation.person_id == person_id,
                                          Habilitation.structure_id == structure_id,
                                          Habilitation.role == role, Habilitation.ended_at.is_(None))
    if family:
        query = query.where(Habilitation.certificate_family == family)
    return db.exec(query).first() is not None


def _people(db: Session, rows: list, step: str, errors: dict, *, structure: Structure, role: str,
            adding: tuple[str, ...], family_of=lambda row: None) -> None:
    for i, row in enumerate(rows):
        national_id = (row.get("identifiant") or "").strip()
        if not national_id:
            continue
        key = f"rows-{i}-identifiant"
        action = row.get("action", adding[0])
        if action in adding:
            person = person_with_active_card(db, national_id)
            if person is None:
                errors.setdefault(step, {})[key] = ("Aucune carte active pour cet identifiant : la personne "
                                                    "désignée doit détenir une carte CPx active.")
            elif _holds(db, person.id, structure.id, role, family_of(row)):
                family = family_of(row)
                errors.setdefault(step, {})[key] = (f"{person.shown_name} est déjà désigné(e) sur cette structure"
                                                    + (f" (famille {family})" if family else "")
                                                    + " : rien à ajouter. Retirez la ligne ou désignez une autre "
                                                      "personne.")
        else:
            person = db.exec(select(Person).where(Person.national_id == national_id)).first()
            if person is None or not _holds(db, person.id, structure.id, role, family_of(row)):
                errors.setdefault(step, {})[key] = ("Cette personne n’est pas habilitée sur la structure : "
                                                    "rien à retirer.")


def errors(db: Session, filing: Filing) -> dict[str, dict[str, str]]:
    spec: FormSpec = FORMS[filing.form]
    found = all_errors(spec, filing.payload)
    structure = db.get(Structure, filing.structure_id)
    payload = filing.payload
    if spec.needs_contract and not structure.contract_signed:
        found.setdefault(spec.steps[0].name, {})["structure"] = (
            "La structure n’a pas de contrat d’adhésion : son représentant légal doit d’abord déposer un F101.")
    if spec.filed_by and not filer_roles(db, filing, spec.filed_by):
        found.setdefault(spec.steps[0].name, {})["structure"] = (
            "Seul le représentant légal ou un mandataire de la structure dépose ce formulaire\u00a0: vous n’y avez "
            "plus ce rôle.")
    rule = RULES.get(filing.form)
    if rule is not None:
        rule(db, filing, structure, payload, found)
    return found


def filer_roles(db: Session, filing: Filing, roles=None) -> list[str]:
    """The filer's current roles on the filing's structure or on its EJ (all of them, or among ``roles``)."""
    structure = db.get(Structure, filing.structure_id) if filing.structure_id else None
    if structure is None:
        return []
    query = select(Habilitation.role).where(Habilitation.person_id == filing.filer_id,
                                            Habilitation.structure_id.in_({structure.id, structure.parent_id} - {None}),
                                            Habilitation.ended_at.is_(None))
    if roles:
        query = query.where(Habilitation.role.in_(tuple(roles)))
    return sorted(set(db.exec(query).all()))


def _f413_rule(db: Session, filing: Filing, structure: Structure, payload: dict, found: dict) -> None:
    _f413(db, structure, payload, found)
    filer = db.get(Person, filing.filer_id)
    if person_with_active_card(db, filer.national_id) is None:
        found.setdefault("engagements", {})["filer"] = ("Le déclarant d’un F413 doit détenir une carte active "
                                                        "(CPS, CPE, CDE…).")


def _f502_rule(db: Session, filing: Filing, structure: Structure, payload: dict, found: dict) -> None:
    _people(db, payload.get("mandataires") or [], "mandataires", found, structure=structure,
            role="mandataire", adding=("designer",))


def _f503_rule(db: Session, filing: Filing, structure: Structure, payload: dict, found: dict) -> None:
    for i, row in enumerate(payload.get("administrateurs") or []):
        if (row.get("domaines") or "").strip() and (row.get("action"), row.get("famille")) != ("ajouter", "SERV"):
            found.setdefault("administrateurs", {})[f"rows-{i}-domaines"] = (
                "Des domaines se déclarent seulement en ajoutant un administrateur de la famille SERV.")
    _people(db, payload.get("administrateurs") or [], "administrateurs", found, structure=structure,
            role="technical_admin", adding=("ajouter",), family_of=lambda row: row.get("famille"))


def _f413(db: Session, structure: Structure, payload: dict, found: dict) -> None:
    if (why := certified_identifier_rule(structure)) is not None:
        found.setdefault("famille", {})["structure"] = why
    famille = payload.get("famille") or {}
    if famille.get("famille") == "SERV" and not (famille.get("domaines") or "").strip():
        found.setdefault("famille", {}).setdefault(
            "domaines", "Déclarez les domaines DNS des serveurs : les certificats SERV ne porteront que des noms "
                        "situés dans ces domaines.")
    elif famille.get("famille") == "ORG" and (famille.get("domaines") or "").strip():
        found.setdefault("famille", {}).setdefault(
            "domaines", "Les certificats ORG ne portent aucun nom DNS : laissez ce champ vide.")
    if famille.get("delegation") and not (famille.get("editeur_raison_sociale") and famille.get("editeur_siret")):
        found.setdefault("famille", {}).setdefault(
            "editeur_raison_sociale", "Indiquez la raison sociale et le SIRET de l’éditeur délégataire.")
    rows = payload.get("administrateurs") or []
    _people(db, rows, "administrateurs", found, structure=structure, role="technical_admin", adding=("ajouter",),
            family_of=lambda row: famille.get("famille") or None)
    own = {structure.finess} | {s.finess for s in db.exec(select(Structure).where(
        Structure.parent_id == (structure.parent_id or structure.id)))} | (
        {db.get(Structure, structure.parent_id).finess} if structure.parent_id else set())
    for i, row in enumerate(rows):
        for finess in (row.get("perimetre") or "").split():
            if finess in own:
                continue
            other = db.exec(select(Structure).where(Structure.finess == finess)).first()
            why = (f"Le FINESS {finess} relève d’une autre entité juridique ({other.name}) : un F413 ne couvre "
                   "qu’une entité juridique, même dans un GHT ou un groupe ; déposez-en un par entité."
                   if other else f"Le FINESS {finess} n’est pas un site de cette structure.")
            found.setdefault("administrateurs", {})[f"rows-{i}-perimetre"] = why


OTHER_STRUCTURE = ("Cet identifiant est celui d’une personne d’une autre structure : une carte d’établissement se "
                   "commande pour le personnel de la structure (laissez le champ vide pour une première carte).")


def _of_structure(db: Session, national_id: str, person: Person | None, family: set[int]) -> bool:
    """A staff card's holder belongs to the filing structure: a person on its records, or a new staff id
    scoped to it (3+FINESS/… or 5+SIRET/… of the structure, its EJ or a sibling site)."""
    if person is not None:
        return belongs_to(db, person.id, family)
    try:
        parsed = parse_national_id(national_id)
    except InvalidIdentifier:
        return True  # the field's own check says what is wrong with it
    if parsed.prefix not in ("3", "5"):
        return False
    column = Structure.finess if parsed.prefix == "3" else Structure.siret
    return db.exec(select(Structure.id).where(column == parsed.number, Structure.id.in_(list(family)))).first() \
        is not None


def _f301(db: Session, structure: Structure, payload: dict, found: dict) -> None:
    family = family_of(db, structure.id)
    rows = payload.get("titulaires") or []
    typed = {(row.get("identifiant") or "").strip() for row in rows} - {""}
    people = {p.national_id: p for p in db.exec(select(Person).where(Person.national_id.in_(typed)))} if typed else {}
    for i, row in enumerate(rows):
        national_id = (row.get("identifiant") or "").strip()
        person = people.get(national_id)
        if national_id.startswith(HEALTH_PROFESSIONAL_PREFIXES) or (person and person.profession_code in PROFESSIONS):
            found.setdefault("titulaires", {})[f"rows-{i}-identifiant"] = (
                "Les professionnels de santé ne reçoivent pas de carte d’établissement : leur CPS leur est "
                "attribuée via le RPPS.")
        elif national_id and not _of_structure(db, national_id, person, family):
            found.setdefault("titulaires", {})[f"rows-{i}-identifiant"] = OTHER_STRUCTURE
    if card_type_for(structure, director=False) == "CPA":
        director = db.exec(select(Card.id).where(Card.structure_id == structure.id, Card.card_type == "CDA",
                                                 Card.status == "active")).first()
        if director is None:
            found.setdefault("titulaires", {})["rows"] = (
                "Les cartes CPA supposent une carte CDA active pour la structure : déposez d’abord un F101.")


def _f101(db: Session, payload: dict, found: dict) -> None:
    representative = payload.get("representant") or {}
    national_id = (representative.get("identifiant") or "").strip()
    if national_id and person_with_active_card(db, national_id) is None:
        found.setdefault("representant", {})["identifiant"] = (
            "Aucune carte active pour cet identifiant : laissez le champ vide pour commander une carte.")
    if not national_id and not representative.get("date_naissance"):
        found.setdefault("representant", {})["date_naissance"] = (
            "La date de naissance est nécessaire pour fabriquer la carte.")


def back_office_warnings(db: Session, filing: Filing) -> list[str]:
    """What the agent should know before deciding (not a refusal), per form."""
    warn = WARNINGS.get(filing.form)
    return warn(db, filing) if warn else []


def _filer_tie(db: Session, filing: Filing) -> list[str]:
    """Who filed and their tie to the structure the form names (the employer of an F201 or F202)."""
    filer = db.get(Person, filing.filer_id)
    structure = db.get(Structure, filing.structure_id) if filing.structure_id else None
    roles = filer_roles(db, filing)
    tie = (", ".join(HABILITATION_ROLES[r].lower() for r in roles) if roles
           else "aucun rôle sur la structure ni sur son entité juridique")
    name = f"{filer.shown_name} ({filer.national_id})" if filer else "—"
    return [f"Déposé par {name}\u00a0: {tie}" + (f" ({structure.name})." if structure else ".")]


def _f101_warnings(db: Session, filing: Filing) -> list[str]:
    """The structure's current legal representative and the other F101 filed for it: accepting would add another
    representative."""
    found = []
    current = db.exec(select(Person).join(Habilitation, Habilitation.person_id == Person.id).where(
        Habilitation.structure_id == filing.structure_id, Habilitation.role == "legal_representative",
        Habilitation.ended_at.is_(None))).all()
    if current:
        found.append("La structure a déjà un représentant légal\u00a0: " + ", ".join(
            f"{p.given_name} {p.family_name}" for p in current) + ". Accepter en ajouterait un autre.")
    others = db.exec(select(Filing.reference, Filing.state).where(
        Filing.form == "F101", Filing.structure_id == filing.structure_id, Filing.id != filing.id,
        Filing.state.in_(("depose", "en_instruction", "a_corriger", "accepte")))).all()
    if others:
        found.append("Autres F101 pour cette structure\u00a0: " + ", ".join(
            f"{reference} ({STATES[state].lower()})" for reference, state in others) + ".")
    return found


def _f504_warnings(db: Session, filing: Filing) -> list[str]:
    """The orders the new address will carry over, named: nothing else moves."""
    waiting = waiting_for_delivery(db, filing.structure_id)
    if not waiting:
        return ["Aucune carte commandée et non fabriquée pour cette structure\u00a0: seule son adresse de livraison "
                "change."]
    return [f"À l’acceptation, {len(waiting)} carte(s) commandée(s) et non encore fabriquée(s) de cette structure "
            "partiront à la nouvelle adresse\u00a0: " + ", ".join(
                f"{o.card_type} de {o.given_name} {o.family_name} (commande n°\u00a0{o.id})" for o in waiting)
            + ". Celles de l’entité juridique et de ses autres sites gardent la leur."]


WARNINGS = {"F101": _f101_warnings, "F504": _f504_warnings, "F201": _filer_tie, "F202": _filer_tie}


# Each form's rules beyond its fields' own checks: a form is added by describing it (catalogue), here, and its
# effects (effects.ON_ACCEPTANCE, effects.ON_DEPOSIT).
RULES = {
    "F101": lambda db, filing, structure, payload, found: _f101(db, payload, found),
    "F301": lambda db, filing, structure, payload, found: _f301(db, structure, payload, found),
    "F413": _f413_rule,
    "F502": _f502_rule,
    "F503": _f503_rule,
    "F501": lambda *args: incidents.check(*args),
    "F414": lambda db, filing, structure, payload, found: test_cards.check(payload, found),
    "F102": lambda db, filing, structure, payload, found: _f102(db, structure, payload, found),
    "F201": lambda db, filing, structure, payload, found: _cps_request(db, payload, found),
    "F202": lambda db, filing, structure, payload, found: _cps_request(db, payload, found),
}


def legal_card(structure: Structure, payload: dict) -> LegalCard | None:
    answers = payload.get("questionnaire") or {}
    return legal_card_for(in_finess=bool(structure.finess), patients=answers.get("patients", ""),
                          online_services=answers.get("services", ""))


def _f102(db: Session, structure: Structure, payload: dict, found: dict) -> None:
    decision = legal_card(structure, payload)
    if decision is not None and decision.card_type is None:
        field = "patients" if (payload.get("questionnaire") or {}).get("patients") == "oui" else "services"
        found.setdefault("questionnaire", {})[field] = decision.reason
    _f101(db, payload, found)


def _cps_request(db: Session, payload: dict, found: dict) -> None:
    professional = payload.get("professionnel") or {}
    national_id = (professional.get("identifiant") or "").strip()
    if national_id and not national_id.startswith(HEALTH_PROFESSIONAL_PREFIXES):
        found.setdefault("professionnel", {})["identifiant"] = (
            "Un professionnel de santé est enregistré au RPPS (8…) ou à l’ADELI (0…), pas par un identifiant de "
            "structure.")
    elif national_id and db.exec(select(Card.id).join(Person, Person.id == Card.person_id).where(
            Person.national_id == national_id, Card.card_type == "CPS", Card.status == "active")).first():
        found.setdefault("professionnel", {})["identifiant"] = "Ce professionnel a déjà une CPS active."


def assessment(db: Session, filing: Filing) -> tuple[str, str, str] | None:
    """What the summary tells the filer the form will decide, before they deposit it: (kind, text, title)."""
    if filing.form != "F102":
        return None
    decision = legal_card(db.get(Structure, filing.structure_id), filing.payload)
    if decision is None:
        return None
    if decision.card_type is None:
        return ("warning", decision.reason, "Aucune carte par ce formulaire")
    return ("info", decision.reason, f"Carte attribuée : {decision.card_type}")
