"""Callable factories per aggregate (DESIGN.md §14): a test builds the world it needs, valid by the
portal's own identifier rules, instead of loading the whole demo seed.

Use the fixtures: ``make_structure(kind="EG", parent=ej)``, ``make_person(profession_code="21")``,
``make_habilitation(person, structure, "mandataire")``, ``login_as(person, activities=[...])``.
"""

from __future__ import annotations

import itertools
import re

import pytest
from stdnum import luhn

from app.domain.identifiers import finess_check_digit
from app.models import AgencyRole, Card, Habilitation, Person, PracticeActivity, Structure

_numbers = itertools.count(1)


def new_finess(departement: str = "44") -> str:
    first8 = f"{departement}{next(_numbers) + 900000:06d}"
    return first8 + finess_check_digit(first8)


def new_rpps() -> str:
    first10 = f"1{next(_numbers) + 900000000:09d}"
    return first10 + luhn.calc_check_digit(first10)


@pytest.fixture()
def make_structure(db):
    def make(*, kind: str = "EJ", name: str | None = None, parent: Structure | None = None, public: bool = True,
             contract: bool = True, departement: str = "44", siret: str | None = None) -> Structure:
        from app.models.base import utcnow

        structure = Structure(kind=kind, name=name or f"Établissement d’essai {next(_numbers)}",
                              finess=None if kind == "ORG" else new_finess(departement), siret=siret,
                              public=public, parent_id=parent.id if parent else None, departement=departement,
                              contract_signed_at=utcnow() if contract else None)
        db.add(structure)
        db.flush()
        return structure

    return make


@pytest.fixture()
def make_person(db):
    def make(*, profession_code: str = "10", category: str = "C", family_name: str = "ESSAI",
             given_name: str = "Camille", national_id: str | None = None, email: str = "",
             civility: str = "") -> Person:
        person = Person(national_id=national_id or f"8{new_rpps()}", family_name=family_name, given_name=given_name,
                        profession_code=profession_code, profession_category=category, email=email,
                        civility=civility)
        db.add(person)
        db.flush()
        return person

    return make


@pytest.fixture()
def make_habilitation(db):
    def make(person: Person, structure: Structure, role: str, family: str | None = None) -> Habilitation:
        habilitation = Habilitation(person_id=person.id, structure_id=structure.id, role=role,
                                    certificate_family=family, source="test")
        db.add(habilitation)
        db.flush()
        return habilitation

    return make


@pytest.fixture()
def make_card(db):
    def make(person: Person, card_type: str = "CPS", *, status: str = "active", structure: Structure | None = None):
        card = Card(person_id=person.id, card_type=card_type, serial=f"{next(_numbers):010d}", status=status,
                    structure_id=structure.id if structure else None)
        db.add(card)
        db.flush()
        return card

    return make


@pytest.fixture()
def make_agency_role(db):
    def make(person: Person, role: str = "ans_operator") -> AgencyRole:
        grant = AgencyRole(national_id=person.national_id, role=role)
        db.add(grant)
        db.flush()
        return grant

    return make


@pytest.fixture()
def login_as(client, db):
    """Open a portal session for ``person`` (through the login operation) and put it in the test client."""
    from app.operations.login import open_session
    from app.psc.identity import ProfessionalIdentity

    def login(person: Person, *, activities: tuple[Structure, ...] = (), pui: bool = False):
        for structure in activities:
            db.add(PracticeActivity(person_id=person.id, structure_id=structure.id,
                                    profession_code=person.profession_code, pharmacy_pui=pui))
        db.flush()
        identity = ProfessionalIdentity(national_id=person.national_id, family_name=person.family_name,
                                        given_name=person.given_name, auth_method="cps-tls",
                                        profession_code=person.profession_code)
        session = open_session(db, identity)  # the card path keeps the activities given here
        with client.session_transaction() as cookie:
            cookie["sid"] = session.id
        return client

    return login


class Browser:
    """The test client with the session's CSRF token put in every POST, as the pages do."""

    def __init__(self, client):
        self.client = client
        self._token: tuple[str, str] | None = None  # (the session's own token, the one its pages carry)

    def token(self) -> str:
        """The token the pages carry, read from one page and reused while the session keeps its own: a login, a
        logout or a rotated session has a new one, and the next POST reads a page again."""
        with self.client.session_transaction() as session:
            raw = session.get("csrf_token", "")
        if self._token is None or self._token[0] != raw or not raw:
            page = self.client.get("/tableau-de-bord").get_data(as_text=True)
            with self.client.session_transaction() as session:
                raw = session.get("csrf_token", "")
            self._token = (raw, re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1))
        return self._token[1]

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, **kw)


@pytest.fixture()
def as_person(login_as, client):
    """Log ``person`` in on the test client and hand back a :class:`Browser` that posts with the CSRF token."""
    def login(person) -> Browser:
        login_as(person)
        return Browser(client)

    return login


@pytest.fixture()
def count_queries(app):
    """``with count_queries() as statements:`` the SQL statements the app runs meanwhile (savepoints aside)."""
    import contextlib

    import sqlalchemy as sa

    engine = app.extensions["db"].engine

    @contextlib.contextmanager
    def counting():
        statements: list[str] = []

        def listener(_conn, _cursor, statement, _params, _context, _many):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)

    return counting
