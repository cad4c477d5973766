"""Issue 28 (4): the token stays clean. A hundred responder renewals leave a bounded number of keys; a revoked or
expired unbound ACME binding loses its secret; a responder key no certificate names (a renewal that failed half-way)
goes; CA, seal and time-stamping keys are never touched. (A store of its own: the session's token is shared with
live portals whose databases name other keys.)"""

from __future__ import annotations

from datetime import timedelta

from app.models import EabCredential
from app.models.base import utcnow
from app.operations.pki import init_pki, renew_responders
from app.operations.pki.token import census, prune
from app.signing.keystore import SoftwareKeyStore


def test_a_hundred_renewals_keep_the_token_bounded(fresh_database):
    """On a database of its own: the suite's shares its PKI, whose keys are in the session's token, not here."""
    from app.db import Database
    from app.migrate import upgrade

    url = fresh_database("hygiene")
    upgrade(url)
    database = Database(url)
    with database.session() as db:
        _renew_a_hundred_times(db)
    database.engine.dispose()


def _renew_a_hundred_times(db) -> None:
    store = SoftwareKeyStore()
    init_pki(db, store, "http://localhost")
    kept = {label for label in store.labels() if not label.startswith("ocsp-")}
    cas = len([label for label in store.labels() if label.startswith("ocsp-")])
    now = utcnow()
    for step in range(1, 101):
        moment = now + timedelta(days=70 * step)  # each step past the 30-day renewal margin of 90-day responders
        assert renew_responders(db, store, "http://localhost", now=moment)
        prune(db, store, now=moment)
        responders = [label for label in store.labels() if label.startswith("ocsp-")]
        assert cas <= len(responders) <= 2 * cas, (step, len(responders))  # the current, the one still cached
    assert kept <= set(store.labels())  # CA, seal, TSA keys untouched
    assert cas <= census(db, store)["répondeurs OCSP"] <= 2 * cas


def test_dead_bindings_and_orphans_are_pruned(db, make_person):
    store = SoftwareKeyStore()
    person = make_person()
    now = utcnow()
    rows = {name: EabCredential(key_id=name, key_label=f"eab-{name}", person_id=person.id, name=name,
                                structure_ids=[], expires_at=now + delta, revoked_at=revoked, used_at=used)
            for name, delta, revoked, used in (("vivant", timedelta(days=5), None, None),
                                               ("revoque", timedelta(days=5), now, None),
                                               ("expire", timedelta(days=-1), None, None),
                                               ("lie", timedelta(days=-1), None, now))}
    db.add_all(rows.values())
    db.flush()
    for name in rows:
        store.import_secret(f"eab-{name}", b"k" * 32)
    store.import_secret("eab-en-creation", b"k" * 32)  # its row is not committed yet: kept
    store.generate_keypair("ocsp-personnes-0badc0de", "ec-p256")  # no certificate names it
    assert prune(db, store, now) == ["eab-expire", "eab-revoque", "ocsp-personnes-0badc0de"]
    assert set(store.labels()) == {"eab-vivant", "eab-lie", "eab-en-creation"}


def test_the_token_destroys_both_halves_of_a_pair_and_a_secret(hsm):
    """The PKCS#11 side of pruning, on the real token: labels by kind, and every object of a label destroyed."""
    import secrets

    pair, secret = f"ocsp-essai-{secrets.token_hex(4)}", f"eab-essai-{secrets.token_hex(4)}"
    hsm.generate_keypair(pair, "ec-p256")
    hsm.import_secret(secret, b"s" * 32)
    labels = hsm.labels()
    assert labels[pair] == "paire" and labels[secret] == "secret"
    hsm.destroy_key(pair)
    hsm.destroy_key(secret)
    assert pair not in hsm.labels() and secret not in hsm.labels() and not hsm.has_key(pair)
