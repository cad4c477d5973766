"""The token stays clean: what the portal made in it and no longer needs is destroyed — an OCSP responder's key a
week after its certificate expired (an answer cached by a client may still be checked until then), a responder key
no certificate names (a renewal that failed half-way), an ACME binding's secret once its credentials are revoked or
expired unbound. CA, seal and time-stamping keys are never touched. ``census`` counts what is there, by kind."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.models import Authority, EabCredential, IssuedCertificate
from app.models.base import aware, utcnow
from app.signing.keystore import KeyStore

RESPONDER_GRACE = timedelta(days=7)
KINDS = (("ocsp-", "répondeurs OCSP"), ("eab-", "liaisons ACME (EAB)"), ("seal-", "cachet"), ("tsa-", "horodatage"))


def kind_of(label: str, ca_labels: set[str]) -> str:
    if label in ca_labels:
        return "autorités de certification"
    return next((kind for prefix, kind in KINDS if label.startswith(prefix)), "autres")


def census(db: Session, keystore: KeyStore) -> dict[str, int]:
    """How many keys of each kind the token holds."""
    ca_labels = set(db.exec(select(Authority.key_label)).all())
    return dict(Counter(kind_of(label, ca_labels) for label in keystore.labels()))


def prune(db: Session, keystore: KeyStore, now: datetime | None = None) -> list[str]:
    """Destroy the responder keys and binding secrets nobody needs any more; returns their labels. Run by the
    periodic job after the responders' renewal (never beside it: a key being made has no certificate yet)."""
    now = now or utcnow()
    responders = {label: aware(end) for label, end in db.exec(
        select(IssuedCertificate.key_label, IssuedCertificate.not_after).where(
            IssuedCertificate.profile == "OCSP_SIGNING", IssuedCertificate.key_label.is_not(None)))}
    credentials = {c.key_label: c for c in db.exec(select(EabCredential))}
    gone = []
    for label in keystore.labels():
        if label.startswith("ocsp-"):
            end = responders.get(label)
            dead = end is None or end + RESPONDER_GRACE < now
        elif label.startswith("eab-") and label in credentials:  # a secret being created has no row yet: kept
            credential = credentials[label]
            dead = credential.revoked_at is not None or (credential.used_at is None
                                                         and aware(credential.expires_at) < now)
        else:
            continue
        if dead:
            keystore.destroy_key(label)
            gone.append(label)
    return sorted(gone)
