"""Callable factories that build valid rows with unique identifiers."""

from __future__ import annotations

import itertools

from stdnum import luhn

from app.domain.identifiers import finess_check_digit
from app.models import Person, Structure

_counter = itertools.count(1)


def new_rpps() -> str:
    body = f"99{next(_counter):08d}"
    return body + luhn.calc_check_digit(body)


def new_finess(dept: str = "75") -> str:
    body = f"{dept}{next(_counter):06d}"
    return body + finess_check_digit(body)


def structure_factory(db):
    def make(**kw) -> Structure:
        values = {"kind": "EJ", "name": "Structure de test", "finess": new_finess(), "public": True,
                  "departement": "75"}
        values.update(kw)
        row = Structure(**values)
        db.add(row)
        db.flush()
        return row

    return make


def person_factory(db):
    def make(**kw) -> Person:
        values = {"national_id": "8" + new_rpps(), "family_name": "TEST", "given_name": "Personne",
                  "profession_code": "10", "profession_category": "C"}
        values.update(kw)
        row = Person(**values)
        db.add(row)
        db.flush()
        return row

    return make
