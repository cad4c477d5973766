"""Issue 20: External Account Binding credentials for ACME clients — the HMAC key is shown once and kept only in the
HSM (sensitive, never extractable), scoped to the creator's SERV structures, revocable, void once the creator's
SERV habilitation ends."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from pkcs11 import Attribute, ObjectClass
from pkcs11 import exceptions as p11
from sqlmodel import select

from app.domain.refusals import OutOfScope, Refusal
from app.models import EabCredential, Habilitation
from app.operations import eab
from app.signing.hsm import HsmError
from tests.certificates.conftest import as_admin, pki_world  # noqa: F401 - admin: ORG and SERV on the hospital


def _secret(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_the_key_is_shown_once_and_lives_only_in_the_hsm(db, hsm, pki_world):  # noqa: F811
    credential, shown = eab.create(db, hsm, pki_world["admin"], name="certbot du DPI",
                                   structure_ids=[pki_world["hospital"].id], days=30)
    row = db.exec(select(EabCredential)).one()
    assert shown not in str(row.model_dump()) and len(_secret(shown)) == 32
    signing_input = b"eyJhbGciOiJIUzI1NiJ9.e30"
    assert eab.binding_mac(hsm, credential, signing_input) == hmac.new(_secret(shown), signing_input,
                                                                       hashlib.sha256).digest()
    with hsm.session() as session:
        key = session.get_key(object_class=ObjectClass.SECRET_KEY, label=credential.key_label)
        with pytest.raises(p11.AttributeSensitive):
            key[Attribute.VALUE]
        assert key[Attribute.EXTRACTABLE] is False
    assert eab.usable(db, credential.key_id) == credential
    eab.revoke(db, hsm, credential, actor="admin")
    assert eab.usable(db, credential.key_id) is None
    with pytest.raises(HsmError):
        eab.binding_mac(hsm, credential, signing_input)  # gone from the token


def test_scope_expiry_and_the_end_of_the_habilitation(db, hsm, pki_world):  # noqa: F811
    with pytest.raises(OutOfScope, match="famille SERV") as refused:
        eab.create(db, hsm, pki_world["admin"], name="x", structure_ids=[pki_world["other"].id], days=30)
    assert refused.value.status == 403 and db.exec(select(EabCredential)).first() is None
    with pytest.raises(Refusal, match="7, 30 ou 90 jours"):
        eab.create(db, hsm, pki_world["admin"], name="x", structure_ids=[pki_world["hospital"].id], days=365)
    credential, _ = eab.create(db, hsm, pki_world["admin"], name="lego", structure_ids=[pki_world["hospital"].id],
                               days=7)
    assert eab.usable(db, credential.key_id, now=credential.expires_at + timedelta(seconds=1)) is None
    serv = db.exec(select(Habilitation).where(Habilitation.person_id == pki_world["admin"].id,
                                              Habilitation.certificate_family == "SERV")).one()
    serv.ended_at = credential.created_at
    db.add(serv)
    db.flush()
    assert eab.usable(db, credential.key_id) is None  # the creator no longer administers SERV there


def test_the_page_shows_the_key_once_and_revokes(db, hsm, pki_world, as_admin):  # noqa: F811
    import re

    browser = as_admin(pki_world["admin"])
    page = browser.post("/certificats/acme", {"nom": "certbot du DPI", "structures": str(pki_world["hospital"].id),
                                              "jours": "30"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    shown = re.search(r'id="eab-cle">([\w-]+)<', page.get_data(as_text=True)).group(1)
    assert len(_secret(shown)) == 32
    again = browser.get("/certificats/acme").get_data(as_text=True)
    assert shown not in again and "certbot du DPI" in again and "Actif" in again
    credential = db.exec(select(EabCredential)).one()
    assert browser.post(f"/certificats/acme/{credential.id}/revoquer").status_code == 303
    db.refresh(credential)
    assert credential.revoked_at is not None and eab.usable(db, credential.key_id) is None
