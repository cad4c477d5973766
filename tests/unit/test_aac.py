"""Compassionate access rules as plain Python: who moves a request, patient data kept to initials, and when
the decision is automatic."""

from datetime import date

import pytest

from app.domain.aac import (
    AAC_MACHINE,
    EVALUATOR,
    PHARMACIST,
    PORTAL,
    PRESCRIBER,
    age_from,
    check_duration,
    check_initials,
    check_weight,
    conformity,
)
from app.domain.casefiles import InvalidTransition, Involvement
from app.domain.permissions import Actor


@pytest.mark.parametrize("state, verb, by, target", [
    ("brouillon", "soumettre", PRESCRIBER, "a_valider_pui"),
    ("a_valider_pui", "transmettre", PHARMACIST, "transmise"),
    ("transmise", "octroyer_automatiquement", PORTAL, "octroyee"),
    ("transmise", "evaluer", EVALUATOR, "en_evaluation"),
    ("en_evaluation", "octroyer", EVALUATOR, "octroyee"),
    ("octroyee", "expirer", PORTAL, "expiree"),
])
def test_paths(state, verb, by, target):
    agent, elsewhere = Actor(national_id="899700000062", person_id=10), Involvement(filer_id=1)
    assert AAC_MACHINE.transition(state, verb, by=by, message="motif", agent=agent,
                                  involvement=elsewhere).target == target


def test_guards_say_who_and_why():
    with pytest.raises(InvalidTransition, match="réservé au pharmacien de la PUI"):
        AAC_MACHINE.transition("a_valider_pui", "transmettre", by=PRESCRIBER)
    with pytest.raises(InvalidTransition, match="Indiquez le motif") as refused:
        AAC_MACHINE.transition("en_evaluation", "refuser", by=EVALUATOR)
    assert refused.value.field == "message"
    with pytest.raises(InvalidTransition, match="octroyée"):
        AAC_MACHINE.transition("octroyee", "octroyer", by=EVALUATOR)


@pytest.mark.parametrize("value, ok", [("D", True), ("d.", True), ("JP", True), ("", False), ("Dupont", False),
                                        ("Dup", False), ("J-P", False)])
def test_initials_only(value, ok):
    assert (check_initials(value, "nom") is None) is ok


def test_age_weight_duration():
    today = date(2026, 11, 29)
    assert age_from(12, 2000, today) == 25 and age_from(11, 2000, today) == 26
    assert age_from(12, 2026, today) is None and age_from(13, 2000, today) is None
    assert check_weight("3,4") is None and check_weight("0") and check_weight("900") and check_weight("lourd")
    assert check_duration("1") is None and check_duration("365") is None
    assert check_duration("0") and check_duration("400") and check_duration("six mois")


def test_conformity_lists_every_reason():
    ok = conformity(referenced=True, open_to_aac=True, indication_listed=True, criteria=("a", "b"),
                    attested=frozenset({"a", "b"}), prescriber_allowed=True, days=90, max_days=180)
    assert ok.automatic and ok.reasons == ()
    not_ok = conformity(referenced=True, open_to_aac=True, indication_listed=True, criteria=("a", "b"),
                        attested=frozenset({"a"}), prescriber_allowed=False, days=200, max_days=180)
    assert not not_ok.automatic and len(not_ok.reasons) == 3
