"""Provisioning the PKI: the hierarchy's CAs and first CRLs, the portal's own seal and time-stamping
certificates, the CAs' delegated OCSP responders. Above the lookups (``hierarchy``), issuance and revocation,
which never import it: no cycle."""

from __future__ import annotations

import secrets
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from sqlmodel import Session, select

from app.domain.certificates import PROFILES, organisation_subject, validity_end
from app.models import Authority
from app.models.base import aware, utcnow
from app.operations import audit
from app.signing import ca
from app.signing.keystore import KeyStore

from .hierarchy import (
    CA_KEY_ALGORITHM,
    HIERARCHY,
    PORTAL_KEYS,
    RESPONDER_RENEWAL_MARGIN,
    SEAL_ORGANISATION,
    SERVICES,
    _name,
    authority,
    current_responder,
    issuer,
    new_serial,
    portal_certificate,
)
from .issuance import store_issued
from .revocation import sign_crl


def init_pki(db: Session, keystore: KeyStore, base_url: str) -> list[str]:
    """Create what is missing of the hierarchy, the CRLs, the seal and the OCSP responders (idempotent)."""
    done = []
    urls = ca.Urls(base_url)
    now = utcnow()
    for spec in HIERARCHY:
        if db.exec(select(Authority).where(Authority.name == spec.name)).first():
            continue
        if not keystore.has_key(spec.key_label):
            keystore.generate_keypair(spec.key_label, CA_KEY_ALGORITHM)
        parent = authority(db, spec.parent) if spec.parent else None
        der = ca.ca_certificate(keystore, key_label=spec.key_label, subject=_name(spec.common_name),
                                serial=new_serial(),
                                not_before=now, not_after=validity_end(now, spec.years),
                                parent=issuer(parent) if parent else None, urls=urls,
                                path_length=1 if parent is None else 0)
        row = Authority(name=spec.name, key_label=spec.key_label, parent_id=parent.id if parent else None,
                        certificate_der=der)
        db.add(row)
        db.flush()
        sign_crl(db, keystore, row, now)
        audit.record(db, actor="system", action="pki.authority_created", object_type="authority",
                     object_id=row.id, after={"name": spec.name, "key_label": spec.key_label})
        done.append(spec.name)
    services = authority(db, SERVICES)
    for profile, label, common_name, name in PORTAL_KEYS:
        current = portal_certificate(db, profile)
        if current is None or current.authority_id != services.id:
            if current is not None:  # issued by an earlier install's ORGANISATIONS CA: a new key under SERVICES
                label = f"{label}-{secrets.token_hex(4)}"
            if not keystore.has_key(label):
                keystore.generate_keypair(label, "ec-p256")
            public = serialization.load_der_public_key(keystore.public_key(label))
            subject = organisation_subject(structure_name=SEAL_ORGANISATION[0],
                                           structure_national_id=SEAL_ORGANISATION[1], departement="75",
                                           common_name=common_name)
            store_issued(db, keystore, profile_code=profile, subject=subject, public_key=public, structure_id=None,
                         person_id=None, requested_by="system", dns_names=(), emails=[], urls=urls,
                         key_description="ECDSA P-256", key_label=label, authority_name=SERVICES)
            done.append(name)
    done += [f"ocsp-{name}" for name in renew_responders(db, keystore, base_url, now=now)]
    db.flush()
    return done


def renew_responders(db: Session, keystore: KeyStore, base_url: str, now=None) -> list[str]:
    """Give each CA a delegated OCSP responder (new key, new certificate) when it has none valid for the next
    30 days; the previous one keeps answering until its replacement is read."""
    now = now or utcnow()
    renewed = []
    for row in db.exec(select(Authority).order_by(Authority.id)).all():
        current = current_responder(db, row.id, now)
        if current is not None and aware(current.not_after) - now > RESPONDER_RENEWAL_MARGIN:
            continue
        label = f"ocsp-{row.name}-{secrets.token_hex(4)}"
        public = serialization.load_der_public_key(keystore.generate_keypair(label, "ec-p256"))
        store_issued(db, keystore, profile_code="OCSP_SIGNING", subject=_name(f"Répondeur OCSP – {row.name}"),
                     public_key=public, structure_id=None, person_id=None, requested_by="system", dns_names=(),
                     emails=[], urls=ca.Urls(base_url), key_description="ECDSA P-256", key_label=label,
                     authority_name=row.name, validity=(now.replace(microsecond=0), now.replace(microsecond=0)
                                                        + timedelta(days=PROFILES["OCSP_SIGNING"].validity_days)))
        renewed.append(row.name)
    return renewed
