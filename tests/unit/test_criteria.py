"""Issue 31 (4): what a granting criterion says about the patient (age range, sex, weight), read from its wording,
and the patient it cannot describe."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.criteria import Patient, age_range, contradiction, contradictions, sex_required, weight_range


@pytest.mark.parametrize(("text", "ages"), [
    ("Enfant âgé de 6 mois à 2 ans", (6, 36)),
    ("Patient adulte (18 ans ou plus) avec diagnostic génétique confirmé", (216, None)),
    ("Patient adulte", (216, None)),
    ("Enfant de moins de 12 ans", (None, 144)),
    ("Âgé de 2 à 17 ans", (24, 216)),
    ("Polyneuropathie de stade 1 ou 2 (score PND ≤ IIIb)", None),
    ("Échec d’au moins deux antiépileptiques bien conduits", None),
])
def test_age_ranges_read_from_the_wording(text, ages):
    assert age_range(text) == ages


def test_sex_and_weight_read_from_the_wording():
    assert sex_required("Femme enceinte au deuxième trimestre") == "F"
    assert sex_required("Patient adulte") is None  # « patient » is the generic word, not a man
    assert weight_range("Poids ≥ 40 kg") == (40, None) and weight_range("moins de 30 kg") == (None, 30)
    assert weight_range("Après au moins une ligne") is None


def test_the_dravet_criterion_contradicts_a_patient_born_in_1958():
    payload = {"patient": {"mois_naissance": "3", "annee_naissance": "1958", "sexe": "F", "poids": "64"}}
    said = contradictions(["Enfant âgé de 6 mois à 2 ans", "Échec d’au moins deux antiépileptiques bien conduits"],
                          payload, date(2026, 12, 7))
    assert said == ["«\u00a0Enfant âgé de 6 mois à 2 ans\u00a0» ne correspond pas à l’âge du patient (68 ans)"]
    toddler = Patient(months=20, sex="M", weight=11.5)
    assert contradiction("Enfant âgé de 6 mois à 2 ans", toddler) is None
    assert "sexe" in contradiction("Femme enceinte", toddler)
    assert "11,5\u00a0kg" in contradiction("Poids ≥ 40 kg", toddler)
    assert contradictions([], payload, date(2026, 12, 7)) == []
