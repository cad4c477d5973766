"""The case-file state machine: every transition with its guard, in French."""

import pytest

from app.domain.casefiles import (
    BACK_OFFICE,
    FILER,
    FINAL_STATES,
    STATES,
    TRANSITIONS,
    InvalidTransition,
    available,
    reference,
    transition,
)

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
    assert transition(state, verb, by=by, message=message).target == target


@pytest.mark.parametrize("state, verb, by, message, error", [
    ("brouillon", "accepter", BACK_OFFICE, "", "Impossible de « accepter » un dossier brouillon."),
    ("accepte", "refuser", BACK_OFFICE, "x", "Impossible de « refuser » un dossier accepté."),
    ("depose", "accepter", FILER, "", "« Accepter » est réservé à l’agence."),
    ("brouillon", "deposer", BACK_OFFICE, "", "« Déposer » est réservé au déclarant."),
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
