"""The world of the mixed load (bench/load.py): seeded database, PKI, logged-in people, work prepared for them
(F413 drafts ready to deposit, AAC requests waiting at the PUI, an API token), and the invariants checked after
the run from the database alone."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

DIRECTOR = "3440000016/DIR0001"
OPERATOR = "899700000070"
PRESCRIBER = "899700000013"
PHARMACIST = "899700000039"
ADMIN = "581234567600017/TECH0009"


@dataclass
class World:
    cookies: dict[str, str]
    deposits: list[tuple[int, str]]  # F413 drafts: (id, idempotency key)
    transmissions: list[int]  # AAC requests waiting at the PUI
    token: str
    structure_id: int
    counts: dict[str, int] = field(default_factory=dict)


def prepare(database, hsm, app, *, drafts: int, requests: int, revocations: int = 0) -> World:
    from sqlmodel import select

    from app.models import Filing, Person, PracticeActivity, Structure
    from app.operations import api_tokens, casefiles
    from app.operations.aac import indication_of, product
    from app.operations.forms import rules
    from app.operations.login import open_session
    from app.operations.pki import init_pki
    from app.psc.claims import identity_from_userinfo
    from psc_sandbox.identities import find, psc_claims
    from seeds.loader import load

    serializer = app.session_interface.get_signing_serializer(app)
    with database.session() as db:
        load(db)
        init_pki(db, hsm, "http://127.0.0.1:8000")
        cookies = {}
        for role, national_id in (("director", DIRECTOR), ("operator", OPERATOR), ("prescriber", PRESCRIBER),
                                  ("pharmacist", PHARMACIST)):
            login = open_session(db, identity_from_userinfo(psc_claims(find(national_id), "CARD")))
            cookies[role] = serializer.dumps({"sid": login.id, "csrf_token": secrets.token_hex(20)})
        people = {p.national_id: p for p in db.exec(select(Person))}
        chu = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
        director = people[DIRECTOR]
        deposits = []
        for i in range(drafts):
            filing = casefiles.open_draft(db, form="F413", structure_id=chu.id, filer_id=director.id,
                                          actor=DIRECTOR)
            for part, data in _f413(people, i).items():
                casefiles.save_part(db, filing, part, data)
            if i == 0:
                assert not rules.errors(db, filing), rules.errors(db, filing)
            deposits.append((filing.id, filing.idempotency_key))
        pui = db.exec(select(PracticeActivity.structure_id).where(
            PracticeActivity.person_id == people[PHARMACIST].id)).first()
        criteria = indication_of(product(db, "AAC-0001"), "I1")["criteria"]
        payload = {"patient": {"cadre": "aac", "initiale_nom": "D", "initiale_prenom": "M", "sexe": "F",
                               "mois_naissance": "3", "annee_naissance": "1958", "poids": "64"},
                   "medicament": {"code": "AAC-0001", "indication": "I1"},
                   "prescription": {"posologie": "50 mg", "duree": "90", "differable": "non", "criteres": criteria},
                   "engagement": {"fonction": "PH", "information": "1",
                                  "pharmacien": f"{people[PHARMACIST].id}:{pui}"}}
        transmissions = []
        for i in range(requests):
            filing = Filing(form="AAC", structure_id=pui, filer_id=people[PRESCRIBER].id, state="a_valider_pui",
                            reference=f"AAC-2020-{i:06d}", idempotency_key=f"load-{i}", payload=payload)
            db.add(filing)
            db.flush()
            transmissions.append(filing.id)
        if revocations:
            revoked_in_bulk(db, hsm, revocations)
        _, token = api_tokens.create_token(db, people[ADMIN], name="Charge", structure_ids=[chu.id],
                                           families=["ORG"], days=30)
        db.commit()
        return World(cookies=cookies, deposits=deposits, transmissions=transmissions, token=token,
                     structure_id=chu.id)


def revoked_in_bulk(db, hsm, count: int, start: int = 0) -> None:
    """Revoked certificates ``start`` to ``count`` in the ORGANISATIONS CRL (rows inserted directly, the CRL
    signed once)."""
    import sqlalchemy as sa

    from app.models import IssuedCertificate
    from app.models.base import utcnow
    from app.operations.pki import authority
    from app.operations.pki.revocation import sign_crl

    organisations, now = authority(db, "organisations"), utcnow()
    rows = [{"serial_hex": format(10**30 + i, "x"), "authority_id": organisations.id, "profile": "ORG_AUTH_CLI",
             "subject": f"CN=revoque {i}", "common_name": f"revoque {i}", "dns_names": [], "contact_emails": [],
             "spki_sha256": f"{i:064x}", "key_description": "bench", "der": b"", "not_before": now, "not_after": now,
             "requested_by": "bench", "revoked_at": now, "revocation_reason": "superseded"}
            for i in range(start, count)]
    for first in range(0, len(rows), 5000):
        db.execute(sa.insert(IssuedCertificate.__table__), rows[first:first + 5000])
    sign_crl(db, hsm, organisations, now)


def _f413(people, i: int) -> dict:
    nurse = people["899700000054"]
    return {"famille": {"famille": "ORG"},
            "administrateurs": [{"civilite": "MME", "nom": nurse.family_name, "prenom": nurse.given_name,
                                 "identifiant": nurse.national_id, "courriel": f"admin{i}@chu.example",
                                 "usage": "DMP", "editeur": "Éditeur", "solution": "DPI"}],
            "contact": {"courriel": "informatique@chu.example"}, "engagements": {"cgu": True, "pc": True}}


def invariants(database, world: World, outcomes: dict[str, list[int]]) -> list[str]:
    """What must hold whatever the load: each line « ok … » or « ÉCHEC … »."""
    import re

    import sqlalchemy as sa
    from sqlmodel import select

    from app.models import AuditEvent, Filing, FilingDocument, IssuedCertificate, OutboxMessage
    from app.operations import audit

    lines = []

    def check(ok: bool, text: str) -> None:
        lines.append(("ok     " if ok else "ÉCHEC  ") + text)

    with database.session() as db:
        deposited = db.exec(select(Filing.reference).where(Filing.form == "F413", Filing.reference.is_not(None))).all()
        numbers = sorted(int(re.search(r"-(\d+)$", r).group(1)) for r in deposited)
        check(numbers == list(range(1, len(numbers) + 1)),
              f"F413 : {len(numbers)} références, sans trou ni doublon")
        check(len(numbers) == outcomes["dépôt F413"].count(303), "un dépôt réussi = une référence")
        unsealed = db.execute(sa.select(sa.func.count()).select_from(Filing).where(
            Filing.form == "F413", Filing.reference.is_not(None),
            ~sa.exists().where(FilingDocument.filing_id == Filing.id))).scalar_one()
        check(unsealed == 0, f"chaque dépôt a son PDF scellé ({unsealed} sans)")
        granted = db.exec(select(Filing.id).where(Filing.form == "AAC", Filing.state == "octroyee")).all()
        undecided = [g for g in granted if db.exec(select(FilingDocument.id).where(
            FilingDocument.filing_id == g, FilingDocument.kind == "decision")).first() is None]
        check(not undecided, f"{len(granted)} AAC octroyées, chacune avec sa décision scellée")
        issued = db.execute(sa.select(sa.func.count()).select_from(IssuedCertificate).where(
            IssuedCertificate.requested_by == "581234567600017/TECH0009")).scalar_one()
        check(issued == outcomes["commande API"].count(201), f"{issued} certificats API, autant que de 201")
        events = db.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
        check(audit.verify_chain(db) is None, f"chaîne d’audit intacte ({events} événements)")
        queued = db.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar_one()
        check(queued > 0, f"{queued} courriels en file, un par destinataire et par événement")
    return lines
