"""What a granting criterion says about the patient, read from its French wording: an age range (« Enfant âgé de 6
mois à 2 ans », « Patient adulte (18 ans ou plus) », « moins de 12 ans »), a sex (« femme », « homme »), a weight
(« poids ≥ 40 kg », « au moins 10 kg »). A criterion ticked for a patient it cannot describe is refused before the
request leaves the prescriber, and shown to the PUI and the evaluator if it got there some other way."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Patient:
    """The only patient data the portal keeps: age in months, sex (F/M), weight in kg."""

    months: int | None
    sex: str
    weight: float | None

    @property
    def shown_age(self) -> str:
        if self.months is None:
            return "âge inconnu"
        return f"{self.months} mois" if self.months < 24 else f"{self.months // 12} ans"


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in folded if not unicodedata.combining(c)).replace("\u00a0", " ").replace("’", "'")


_UNIT = r"(ans?|mois)"
_NUMBER = r"(\d+(?:[.,]\d+)?)"


def _months(value: str, unit: str) -> float:
    number = float(value.replace(",", "."))
    return number if unit.startswith("mois") else number * 12


def age_range(text: str) -> tuple[float | None, float | None] | None:
    """(lowest, highest) age in months the criterion allows, either end open; None when it states no age."""
    plain = _plain(text)
    if m := re.search(rf"(?:de|entre) {_NUMBER} ?{_UNIT}? (?:a|et) {_NUMBER} ?{_UNIT}", plain):
        low_unit = m.group(2) or m.group(4)
        return _months(m.group(1), low_unit), _months(m.group(3), m.group(4)) + (1 if m.group(4) == "mois" else 12)
    if m := re.search(rf"{_NUMBER} ?{_UNIT} (?:ou plus|et plus|revolus)|(?:au moins|plus de|≥|>=) ?{_NUMBER} ?{_UNIT}",
                      plain):
        value, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return _months(value, unit), None
    if m := re.search(rf"(moins de|<=|≤|<|au plus) ?{_NUMBER} ?{_UNIT}", plain):
        inclusive = m.group(1) in ("≤", "<=", "au plus")
        step = 1 if m.group(3).startswith("mois") else 12
        return None, _months(m.group(2), m.group(3)) + (step if inclusive else 0)
    if re.search(r"\badulte", plain):
        return 18 * 12, None
    if re.search(r"\b(enfant|pediatrique|mineur)", plain):
        return None, 18 * 12
    return None


def weight_range(text: str) -> tuple[float | None, float | None] | None:
    plain = _plain(text)
    if not re.search(r"\bkg\b", plain):
        return None
    if m := re.search(rf"(?:de|entre) {_NUMBER} ?(?:kg)? (?:a|et) {_NUMBER} ?kg", plain):
        return float(m.group(1).replace(",", ".")), float(m.group(2).replace(",", "."))
    if m := re.search(rf"(?:au moins|plus de|superieur a|≥|>=|>) ?{_NUMBER} ?kg", plain):
        return float(m.group(1).replace(",", ".")), None
    if m := re.search(rf"(?:moins de|au plus|inferieur a|≤|<=|<) ?{_NUMBER} ?kg", plain):
        return None, float(m.group(1).replace(",", "."))
    return None


def sex_required(text: str) -> str | None:
    plain = _plain(text)
    if re.search(r"\b(femmes?|patientes?|fille|enceinte)\b", plain):
        return "F"
    if re.search(r"\b(hommes?|garcons?)\b", plain):
        return "M"
    return None


def patient_of(payload: dict, today) -> Patient:
    """The patient as the request's « patient » step holds them."""
    data = payload.get("patient") or {}
    try:
        month, year = int(data.get("mois_naissance")), int(data.get("annee_naissance"))
        months = (today.year - year) * 12 + today.month - month
    except (TypeError, ValueError):
        months = None
    try:
        weight = float(str(data.get("poids")).replace(",", "."))
    except (TypeError, ValueError):
        weight = None
    return Patient(months if months is not None and months >= 0 else None, data.get("sexe", ""), weight)


def contradictions(criteria, payload: dict, today) -> list[str]:
    """Every ticked criterion the patient of ``payload`` contradicts, said in French."""
    patient = patient_of(payload, today)
    return [why for c in criteria or () if (why := contradiction(c, patient))]


def contradiction(criterion: str, patient: Patient) -> str | None:
    """Why ``criterion`` cannot describe ``patient``, in French, or None."""
    ages = age_range(criterion)
    if ages and patient.months is not None:
        low, high = ages
        if (low is not None and patient.months < low) or (high is not None and patient.months >= high):
            return f"«\u00a0{criterion}\u00a0» ne correspond pas à l’âge du patient ({patient.shown_age})"
    sex = sex_required(criterion)
    if sex and patient.sex in ("F", "M") and patient.sex != sex:
        shown = "femme" if patient.sex == "F" else "homme"
        return f"«\u00a0{criterion}\u00a0» ne correspond pas au sexe du patient ({shown})"
    weights = weight_range(criterion)
    if weights and patient.weight is not None:
        low, high = weights
        if (low is not None and patient.weight < low) or (high is not None and patient.weight > high):
            shown = f"{patient.weight:g}".replace(".", ",")
            return f"«\u00a0{criterion}\u00a0» ne correspond pas au poids du patient ({shown}\u00a0kg)"
    return None
