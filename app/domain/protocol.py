"""A product's PUT-SP (protocole d'utilisation thérapeutique et de suivi des patients) as the portal applies it:
whether data is collected and when, who may fill the forms, where adverse effects go, how often the laboratory
reports; and the CPC's three-year validity. Plain Python (CSP L.5121-12-1, R.5121-74-5; reference/000–002)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from .inputs import parse_int

PRESCRIBER, PHARMACIST, NURSE = "prescripteur", "pharmacien", "infirmier"
DELEGATES = ((PHARMACIST, "Le pharmacien de la PUI"), (NURSE, "Un infirmier de l’établissement"))
CRPV, LABORATORY = "crpv", "laboratoire"
ADVERSE_EFFECTS_TO = ((CRPV, "Au centre régional de pharmacovigilance (CRPV) de la région du prescripteur"),
                      (LABORATORY, "Au laboratoire exploitant"))
CPC_YEARS = 3
REMIND_BEFORE_DAYS = 7


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day (31 January + 1 month: 28 or 29 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Protocol:
    """``collects``: forms are filled (initiation at the first dispensing, follow-up every ``every_months``, end of
    treatment); ``delegates``: who besides the prescriber may fill them; ``effects_to``: CRPV or laboratory;
    ``report_months``: the periodic synthesis report's periodicity."""

    collects: bool = False
    every_months: int = 3
    delegates: frozenset[str] = frozenset()
    effects_to: str = CRPV
    report_months: int = 6

    @classmethod
    def of(cls, data: dict | None, *, collects: bool = False) -> Protocol:
        data = data or {}
        return cls(collects=bool(data.get("collecte", collects)), every_months=int(data.get("suivi_mois") or 3),
                   delegates=frozenset(data.get("delegues") or ()) & {PHARMACIST, NURSE},
                   effects_to=LABORATORY if data.get("effets_vers") == LABORATORY else CRPV,
                   report_months=int(data.get("rapport_mois") or 6))

    def as_json(self) -> dict:
        return {"collecte": self.collects, "suivi_mois": self.every_months, "delegues": sorted(self.delegates),
                "effets_vers": self.effects_to, "rapport_mois": self.report_months}

    def next_due(self, form: str, on: date) -> date | None:
        """After ``form`` (INIT, SUIVI, FIN) filled ``on``: when the next one is due (None: nothing more)."""
        if not self.collects or form == "FIN":
            return None
        return add_months(on, self.every_months)


def check_protocol(*, every_months: str, report_months: str, delegates, effects_to: str) -> dict[str, str]:
    """The evaluator's PUT-SP fields, field by field (French messages)."""
    errors = {}
    if parse_int(every_months, low=1, high=12) is None:
        errors["suivi_mois"] = "Périodicité du suivi\u00a0: de 1 à 12 mois."
    if parse_int(report_months, low=1, high=24) is None:
        errors["rapport_mois"] = "Périodicité du rapport de synthèse\u00a0: de 1 à 24 mois."
    if set(delegates) - {PHARMACIST, NURSE}:
        errors["delegues"] = "Délégation inconnue."
    if effects_to not in (CRPV, LABORATORY):
        errors["effets_vers"] = "Choisissez le destinataire des déclarations d’effets indésirables."
    return errors


def cpc_end(start: date) -> date:
    """A CPC lasts three years (renewable)."""
    return add_months(start, 12 * CPC_YEARS)


def late(due: date | None, today: date) -> bool:
    """« Suivi en retard »: the form was due before today."""
    return due is not None and due < today


# The 18 regions by department (INSEE codes), for the CRPV that receives a region's declarations.
_REGIONS = {
    "ARA": "01 03 07 15 26 38 42 43 63 69 73 74", "BFC": "21 25 39 58 70 71 89 90",
    "BRE": "22 29 35 56", "CVL": "18 28 36 37 41 45", "COR": "2A 2B", "GES": "08 10 51 52 54 55 57 67 68 88",
    "HDF": "02 59 60 62 80", "IDF": "75 77 78 91 92 93 94 95", "NOR": "14 27 50 61 76",
    "NAQ": "16 17 19 23 24 33 40 47 64 79 86 87", "OCC": "09 11 12 30 31 32 34 46 48 65 66 81 82",
    "PDL": "44 49 53 72 85", "PAC": "04 05 06 13 83 84", "GUA": "971", "MTQ": "972", "GUY": "973", "REU": "974",
    "MAY": "976",
}
REGION_OF = {department: region for region, departments in _REGIONS.items() for department in departments.split()}
REGION_NAMES = {
    "ARA": "Auvergne-Rhône-Alpes", "BFC": "Bourgogne-Franche-Comté", "BRE": "Bretagne", "CVL": "Centre-Val de Loire",
    "COR": "Corse", "GES": "Grand Est", "HDF": "Hauts-de-France", "IDF": "Île-de-France", "NOR": "Normandie",
    "NAQ": "Nouvelle-Aquitaine", "OCC": "Occitanie", "PDL": "Pays de la Loire", "PAC": "Provence-Alpes-Côte d’Azur",
    "GUA": "Guadeloupe", "MTQ": "Martinique", "GUY": "Guyane", "REU": "La Réunion", "MAY": "Mayotte",
}


def region_of(department: str) -> str:
    """The region's code of a department (« 44 » → « PDL »), "" when unknown."""
    return REGION_OF.get((department or "").strip().upper(), "")
