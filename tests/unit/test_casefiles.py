"""The case-file state machine: every transition with its guard, in French."""

import pytest

from app.domain.casefiles import (
    BACK_OFFICE,
    FILER,
    FINAL_STATES,
    STATES,
    TRANSITIONS,
    InvalidTransition,
    Involvement,
    available,
    conflict,
    involvement_of,
    reference,
    transition,
)
from app.domain.permissions import Actor, HabilitationRef

AGENT = Actor(national_id="899700000070", person_id=11, agency_roles=frozenset({"ans_operator"}))
ELSEWHERE = Involvement(filer_id=5, named_ids=frozenset({"3440000016/DIR0001"}), structure_ids=frozenset({1, 2}))

PATHS = [  # (state, verb, by, message, target)
    ("brouillon", "deposer", FILER, "", "depose"),
    ("depose", "passer_en_instruction", BACK_OFFICE, "", "en_instruction"),
    ("en_instruction", "demander_correction", BACK_OFFICE, "Pièce illisible", "a_corriger"),
    ("a_corriger", "redeposer", FILER, "", "depose"),
    ("en_instruction", "accepter", BACK_OFFICE, "", "accepte"),
    ("depose", "accepter", BACK_OFFICE, "", "accepte"),
    ("en_instruction", "refuser", BACK_OFFICE, "Représentant légal non justifié", "refuse"),
    ("a_corriger", "classer_sans_suite", BACK_OFFICE, "Sans réponse depuis trois mois", "classe_sans_suite"),
]


@pytest.mark.parametrize("state, verb, by, message, target", PATHS)
def test_allowed_transitions_reach_their_state(state, verb, by, message, target):
    assert transition(state, verb, by=by, message=message, agent=AGENT, involvement=ELSEWHERE).target == target


@pytest.mark.parametrize("state, verb, by, message, error", [
    ("brouillon", "accepter", BACK_OFFICE, "", "Impossible de « accepter » un dossier brouillon."),
    ("accepte", "refuser", BACK_OFFICE, "x", "Impossible de « refuser » un dossier accepté."),
    ("depose", "accepter", FILER, "", "« Accepter » est réservé à l’agence."),
    ("brouillon", "deposer", BACK_OFFICE, "", "« Déposer » est réservé au déclarant."),
    ("en_instruction", "refuser", BACK_OFFICE, "  ", "Indiquez le motif"),
    ("depose", "demander_correction", BACK_OFFICE, "", "Indiquez le motif"),
    ("depose", "supprimer", BACK_OFFICE, "", "Action inconnue"),
])
def test_refused_transitions_say_why_in_french(state, verb, by, message, error):
    with pytest.raises(InvalidTransition, match=error) as refused:
        transition(state, verb, by=by, message=message)
    assert refused.value.field == ("message" if "motif" in error else None)


def test_final_states_have_no_way_out_and_every_state_is_labelled():
    for state in FINAL_STATES:
        assert available(state, FILER) == [] and available(state, BACK_OFFICE) == []
    for t in TRANSITIONS.values():
        assert t.target in STATES and all(s in STATES for s in t.sources)
    assert [t.verb for t in available("en_instruction", BACK_OFFICE)] == [
        "demander_correction", "accepter", "refuser", "classer_sans_suite"]


def test_reference_numbers():
    assert reference("F413", 2026, 123) == "F413-2026-000123"


@pytest.mark.parametrize("case, agent, why", [
    ("filed it", Actor(national_id="899700000070", person_id=5), "vous l’avez déposé"),
    ("named in it", Actor(national_id="3440000016/DIR0001", person_id=12), "il vous désigne"),
    ("role on the structure", Actor(national_id="899700000088", person_id=13,
                                    habilitations=(HabilitationRef(2, "mandataire"),)), "un rôle dans la structure"),
    ("practises there", Actor(national_id="899700000096", person_id=14, activity_structure_ids=frozenset({1})),
     "un rôle dans la structure"),
])
def test_nobody_decides_a_file_that_concerns_them(case, agent, why):
    assert why in conflict(agent, ELSEWHERE), case
    for verb, message in (("accepter", ""), ("refuser", "x"), ("demander_correction", "x"),
                          ("passer_en_instruction", "")):
        with pytest.raises(InvalidTransition, match="Vous ne pouvez pas instruire ce dossier"):
            transition("depose", verb, by=BACK_OFFICE, message=message, agent=agent, involvement=ELSEWHERE)
    with pytest.raises(InvalidTransition, match="agent inconnu"):
        transition("depose", "accepter", by=BACK_OFFICE)
    assert conflict(AGENT, ELSEWHERE) is None


def test_the_involvement_reads_the_named_people_and_the_aac_pharmacist():
    payload = {"representant": {"identifiant": "899700000013"}, "titulaires": [{"identifiant": " 3440000016/C1 "},
                                                                               {"identifiant": ""}],
               "engagement": {"pharmacien": "42:7"}}
    found = involvement_of(3, payload, (7, None))
    assert found == Involvement(3, frozenset({"899700000013", "3440000016/C1"}), frozenset({42}), frozenset({7}))


def test_card_orders_and_certificate_orders_are_machines_too():
    from app.domain.cardorders import CARD_MACHINE, STRUCTURE, card_actions
    from app.domain.casefiles import CERT_MACHINE, PORTAL

    assert CARD_MACHINE.transition("commandee", "fabriquer", by=BACK_OFFICE, agent=AGENT,
                                   involvement=ELSEWHERE).target == "fabriquee"
    with pytest.raises(InvalidTransition, match="Impossible de « activer » une carte commandée"):
        CARD_MACHINE.transition("commandee", "activer", by=BACK_OFFICE, agent=AGENT, involvement=ELSEWHERE)
    with pytest.raises(InvalidTransition, match="Indiquez le motif") as refused:
        CARD_MACHINE.transition("active", "opposer", by=STRUCTURE)
    assert refused.value.field == "motif"
    with pytest.raises(InvalidTransition, match="réservé à la structure"):
        CARD_MACHINE.transition("active", "opposer", by=BACK_OFFICE, message="perdue")
    assert CARD_MACHINE.transition("active", "demander_revocation", by=STRUCTURE, message="départ").target is None
    assert [t.verb for t in card_actions("active", STRUCTURE, requested=True)] == ["opposer"]
    assert CERT_MACHINE.transition("depose", "delivrer", by=PORTAL).target == "accepte"
    with pytest.raises(InvalidTransition):
        CERT_MACHINE.transition("brouillon", "delivrer", by=PORTAL)
