"""Every case-file route × role × own/foreign filing (and structure, for opening one)."""

from __future__ import annotations

from io import BytesIO

import pytest
from sqlmodel import select

from app.models import Filing
from tests.matrix import wrong_answers

ROLES = ["anonymous", "filer", "director", "foreign_director", "admin", "operator"]
VIEW = {"anonymous": 303, "filer": 200, "director": 200, "foreign_director": 403, "admin": 403, "operator": 200}
EDIT = {"anonymous": 303, "filer": 200, "director": 403, "foreign_director": 403, "admin": 403, "operator": 403}
POST_EDIT = {**EDIT, "anonymous": 400}  # an anonymous POST has no CSRF token: refused first
FILES = {"anonymous": 303, "filer": 200, "director": 403, "foreign_director": 403, "admin": 403, "operator": 200}
AGENCY = {"anonymous": 303, "filer": 403, "director": 403, "foreign_director": 403, "admin": 403, "operator": 200}
LOGGED = {"anonymous": 303, **{r: 200 for r in ROLES if r != "anonymous"}}

# (method, rule) -> (filing: "draft" | "deposited" | None, expected by role, and for the filer's 2xx/3xx answer)
ROUTES = {
    ("GET", "/demarches/"): (None, LOGGED),
    ("GET", "/demarches/nouvelle/<form>"): (None, LOGGED),
    ("POST", "/demarches/nouvelle/<form>"): (None, {"anonymous": 400, "filer": 303, "director": 303,
                                                     "foreign_director": 403, "admin": 403, "operator": 403}),
    ("GET", "/demarches/<int:filing_id>"): ("deposited", VIEW),
    ("GET", "/demarches/<int:filing_id>/formulaire.pdf"): ("deposited", FILES),
    ("GET", "/demarches/<int:filing_id>/etapes/<step>"): ("draft", EDIT),
    ("POST", "/demarches/<int:filing_id>/etapes/<step>"): ("draft", {**POST_EDIT, "filer": 303}),
    ("POST", "/demarches/<int:filing_id>/champ"): ("draft", POST_EDIT),
    ("GET", "/demarches/<int:filing_id>/recapitulatif"): ("draft", EDIT),
    ("POST", "/demarches/<int:filing_id>/deposer"): ("draft", {**POST_EDIT, "filer": 303}),
    ("POST", "/demarches/<int:filing_id>/message"): ("deposited", {**POST_EDIT, "filer": 303}),
    # the draft was deposited by the row above: the filer's attachment is refused (422, the file's page with its
    # message), everyone else forbidden
    ("POST", "/demarches/<int:filing_id>/pieces"): ("draft", {**POST_EDIT, "filer": 422}),
    # on a deposited file: the filer is refused (a deposited file stays), everyone else forbidden
    ("POST", "/demarches/<int:filing_id>/supprimer"): ("deposited", {**POST_EDIT, "filer": 422}),
    # A draft is its author's alone until deposit: not even the agency opens its attachments (nor the draft itself,
    # nor a director reading a mandataire's draft: tests/security/test_review_misc.py).
    ("GET", "/demarches/<int:filing_id>/pieces/<int:attachment_id>"): ("draft", {**FILES, "operator": 403}),
    ("GET", "/instruction/"): (None, AGENCY),
    ("GET", "/instruction/<int:filing_id>"): ("deposited", AGENCY),
    ("POST", "/instruction/<int:filing_id>/<verb>"): ("deposited", {**AGENCY, "anonymous": 400, "operator": 303}),
    **{("POST", f"/instruction/<int:filing_id>/{tool}"): ("deposited", {**AGENCY, "anonymous": 400, "operator": 303})
       for tool in ("message", "note", "attribuer", "avis-demande", "avis")},  # issue 31: the instructor's tools
    ("GET", "/instruction/cartes"): (None, AGENCY),
    ("POST", "/instruction/cartes/<int:order_id>/<verb>"): (None, {**AGENCY, "anonymous": 400, "operator": 303}),
    ("POST", "/cartes/<int:order_id>/<verb>"): (None, {"anonymous": 400, "filer": 303, "director": 303,
                                                       "foreign_director": 403, "admin": 403, "operator": 403}),
}
VERBS = {"/cartes/": "demander_revocation", "/instruction/cartes/": "revoquer"}


@pytest.fixture()
def scene(db, world, as_person, make_person, make_card, make_habilitation, make_filing, client):
    foreign = make_person(profession_code="", family_name="AUTRE", given_name="Directeur",
                          national_id=f"3{world['clinic'].finess}/DIR0009")
    make_card(foreign, "CDE", structure=world["clinic"])
    make_habilitation(foreign, world["clinic"], "legal_representative")
    deposited = make_filing("depose").id
    draft = make_filing("brouillon").id
    as_person(world["mandataire"]).post(f"/demarches/{draft}/pieces", {
        "piece": (BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "preuve.png")}, content_type="multipart/form-data")
    from app.models import CardOrder

    order = CardOrder(filing_id=deposited, structure_id=world["hospital"].id, card_type="CPE", family_name="PARTI",
                      given_name="Paul", state="active")
    db.add(order)
    db.flush()
    people = {"filer": world["mandataire"], "director": world["director"], "foreign_director": foreign,
              "admin": world["admin"], "operator": world["operator"]}
    return {"people": people, "draft": draft, "deposited": deposited, "order": order.id}


@pytest.mark.parametrize("role", ROLES)
def test_casefile_routes(app, db, world, scene, as_person, role):
    """One scene per role (it deposits and seals two filings), then every route: the wrong answers listed."""
    from app.models import FilingAttachment

    def url_of(method, rule):
        filing_id = scene[ROUTES[(method, rule)][0]] if ROUTES[(method, rule)][0] else 0
        attachment_id = db.exec(select(FilingAttachment.id).where(FilingAttachment.filing_id == filing_id)).first()
        return (rule.replace("<int:filing_id>", str(filing_id)).replace("<form>", "F413")
                .replace("<step>", "contact").replace("<int:attachment_id>", str(attachment_id or 0))
                .replace("<int:order_id>", str(scene["order"]))
                .replace("<verb>", next((v for k, v in VERBS.items() if rule.startswith(k)), "passer_en_instruction")))

    def data_of(method, rule):
        filing_id = scene[ROUTES[(method, rule)][0]] if ROUTES[(method, rule)][0] else 0
        return {"structure_id": str(world["hospital"].id), "courriel": "it@chu.example", "_step": "contact",
                "_name": "courriel", "cle": db.get(Filing, filing_id).idempotency_key if filing_id else "",
                "message": "Bonjour", "motif": "Départ de l’agent", "note": "À vérifier", "agent": "",
                "expert": str(world["operator"].id), "question": "Votre avis ?", "avis": "Favorable",
                "piece": (BytesIO(b"%PDF-1.4\n%%EOF"), "a.pdf")}

    browser = as_person(scene["people"][role]) if role != "anonymous" else None
    assert not wrong_answers(app, browser, ROUTES, role, url_of=url_of, data_of=data_of,
                             expected_of=lambda m, r: ROUTES[(m, r)][1], multipart=True)
