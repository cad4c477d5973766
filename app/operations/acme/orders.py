"""ACME orders (RFC 8555 §7.4–7.6): names inside the declared domains of a structure in the account's scope,
authorizations proven by http-01 or dns-01 through the same checks as « Mes domaines » (or already valid when the
structure proved the name within the reuse period), issuance by the PKI core (SERV SSL, audited, listed in « Mes
certificats », CRL and OCSP), revocation."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import josepy as jose
import sqlalchemy as sa
from acme import challenges
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlmodel import Session, func, select

from app import metrics
from app.db import release_if_untouched
from app.domain.acme import (
    ORDER_LIFETIME,
    REVOCATION_REASONS,
    Limits,
    Problem,
    moved,
    order_status,
    parse_identifiers,
    problem_of,
)
from app.domain.certificates import AlreadyRevoked, CertificateRequestError, KeyRefused, within
from app.domain.domain_control import DnsUnanswered, DomainError
from app.models import AcmeAccount, AcmeAuthorization, AcmeOrder, IssuedCertificate, Person, Structure
from app.models.base import aware, utcnow
from app.operations import domain_control, domains, outbox
from app.operations.pki import issue_checked, require_contract, revoke_certificate
from app.signing.csr import CheckedRequest, load_csr
from app.signing.keystore import KeyStore

from . import accounts
from .protocol import Signed, crypto_key, thumbprint


def _structure_for(db: Session, structures: list[Structure], names: list[str]) -> Structure:
    for structure in structures:
        declared = domains.declared(db, structure)
        if all(any(within(name, d) for d in declared) for name in names):
            return structure
    outside = [n for n in names if not any(any(within(n, d) for d in domains.declared(db, s)) for s in structures)]
    detail = ("Nom hors du périmètre du compte : aucune de ses structures n’a déclaré ce domaine (F413 ou F503, "
              "famille SERV).") if outside else "Les noms d’une commande relèvent d’une seule structure."
    raise Problem("rejectedIdentifier", detail,
                  subproblems=[problem_of("rejectedIdentifier", detail, n) for n in outside])


def _check_limits(db: Session, account: AcmeAccount, limits: Limits, now: datetime) -> None:
    recent = db.exec(select(func.count()).select_from(AcmeOrder).where(
        AcmeOrder.account_id == account.id, AcmeOrder.created_at > now - limits.windows["hour"])).one()
    if recent >= limits.orders_per_hour:
        raise Problem("rateLimited", f"{limits.orders_per_hour} commandes par heure et par compte au plus : "
                      "réessayez plus tard.", retry_after=3600)
    pending = db.exec(select(func.count()).select_from(AcmeOrder).where(
        AcmeOrder.account_id == account.id, AcmeOrder.status.in_(("pending", "ready")),
        AcmeOrder.expires_at > now)).one()
    if pending >= limits.pending_orders:
        raise Problem("rateLimited", f"{limits.pending_orders} commandes en cours par compte au plus : terminez-les "
                      "ou attendez leur expiration.", retry_after=3600)


def new_order(db: Session, account: AcmeAccount, payload: dict | None, limits: Limits,
              now: datetime | None = None) -> AcmeOrder:
    """A new order, its authorizations already valid where the structure proved the name within the reuse period."""
    now = now or utcnow()
    payload = payload or {}
    if payload.get("notBefore") or payload.get("notAfter"):
        raise Problem("malformed", "« notBefore » et « notAfter » ne se choisissent pas : la durée suit la "
                      "politique en vigueur.")
    names = parse_identifiers(payload.get("identifiers"))
    structures = accounts.require_standing(db, account)
    _check_limits(db, account, limits, now)  # before the domains' queries: a client in a loop costs little
    structure = _structure_for(db, structures, names)
    from app.operations.acme.renewal import replaced

    old = replaced(db, account, payload.get("replaces"))
    order = AcmeOrder(account_id=account.id, structure_id=structure.id, names=names,
                      expires_at=now + ORDER_LIFETIME, created_at=now, replaces_id=old.id if old else None)
    db.add(order)
    db.flush()
    for name in names:
        # a proof in force: the authorization is valid by it, shows the challenge that made it and lasts as long
        proof = domain_control.covering_proof(db, structure, name, now)
        method, validated_at, until = proof if proof else ("", None, order.expires_at)
        db.add(AcmeAuthorization(order_id=order.id, name=name, status="valid" if proof else "pending",
                                 token=secrets.token_urlsafe(32), expires_at=until, method=method,
                                 validated_at=validated_at))
    db.flush()
    metrics.ACME_ORDERS.labels("created").inc()
    return refresh_status(db, order, now)


def authorizations(db: Session, order: AcmeOrder) -> list[AcmeAuthorization]:
    return list(db.exec(select(AcmeAuthorization).where(AcmeAuthorization.order_id == order.id)
                        .order_by(AcmeAuthorization.id)))


def refresh_status(db: Session, order: AcmeOrder, now: datetime | None = None) -> AcmeOrder:
    """The order's status from its authorizations, and expiry for what was left unfinished."""
    now = now or utcnow()
    status = order_status(order.status, [a.status for a in authorizations(db, order)])
    if status in ("pending", "ready") and aware(order.expires_at) <= now:
        status = "invalid"
        order.error = problem_of("malformed", "Commande expirée.")
    if status != order.status:
        order.status = moved("order", order.status, status)
        db.add(order)
        db.flush()
    return order


def update_authorization(db: Session, authz: AcmeAuthorization, payload: dict) -> AcmeAuthorization:
    """Deactivation by the client (RFC 8555 §7.5.2), the only change an authorization takes."""
    if payload.get("status") != "deactivated":
        raise Problem("malformed", "Seul le statut « deactivated » se demande pour une autorisation.")
    if authz.status in ("pending", "valid"):
        authz.status = moved("authorization", authz.status, "deactivated")
        db.add(authz)
        db.flush()
        refresh_status(db, db.get(AcmeOrder, authz.order_id))
    return authz


def key_authorization(authz: AcmeAuthorization, key: jose.JWK) -> str:
    return challenges.HTTP01(token=jose.b64.b64decode(authz.token)).key_authorization(key)


def dns_value(authz: AcmeAuthorization, key: jose.JWK) -> str:
    return challenges.DNS01(token=jose.b64.b64decode(authz.token)).validation(key)


CHECK_STALE = timedelta(minutes=2)  # a check asked this long ago and not done: its worker died, look again


def start_check(db: Session, authz: AcmeAuthorization, method: str, now: datetime | None = None) -> bool:
    """The client says the challenge is in place: mark it « processing » (RFC 8555 § 7.5.1); the job engine looks
    (:func:`run_check`). False when there is nothing to start (settled, or a check already under way)."""
    now = now or utcnow()
    if authz.status != "pending" or (authz.checking_since and aware(authz.checking_since) > now - CHECK_STALE):
        return False
    authz.method, authz.checking_since, authz.error = method, now, None
    db.add(authz)
    db.flush()
    return True


def run_check(db: Session, checker: domain_control.Checker, authz_id: int, now: datetime | None = None) -> str:
    """The job engine's look at a challenge marked « processing »; its outcome, or why nothing was done."""
    authz = db.get(AcmeAuthorization, authz_id)
    if authz is None or authz.status != "pending" or authz.checking_since is None:
        return "déjà réglée"
    account = db.get(AcmeAccount, db.get(AcmeOrder, authz.order_id).account_id)
    key = jose.JWK.from_json(account.jwk)
    authz = answer(db, checker, account, key, authz, authz.method, now)
    return f"{authz.name} ({authz.method}) : {authz.status}"


def stale_checks(db: Session, now: datetime | None = None) -> list[int]:
    """Checks asked and never done (the worker that had them was killed): the periodic pass runs them."""
    cutoff = (now or utcnow()) - CHECK_STALE
    return list(db.exec(select(AcmeAuthorization.id).where(AcmeAuthorization.status == "pending",
                                                           AcmeAuthorization.checking_since.is_not(None),
                                                           AcmeAuthorization.checking_since < cutoff)).all())


def answer(db: Session, checker: domain_control.Checker, account: AcmeAccount, key: jose.JWK,
           authz: AcmeAuthorization, method: str, now: datetime | None = None) -> AcmeAuthorization:
    """Look for the challenge now and settle the authorization (the job engine's part of a challenge)."""
    now = now or utcnow()
    if authz.status != "pending":
        return authz
    name, token, served, published = authz.name, authz.token, key_authorization(authz, key), dns_value(authz, key)
    expires = aware(authz.expires_at)
    release_if_untouched(db)  # no transaction held while the network answers
    failure = None
    if expires > now:
        try:
            domain_control.look_for(checker, method, name, token, served=served, published=published)
        except DomainError as exc:
            failure = problem_of("dns" if isinstance(exc, DnsUnanswered) else "incorrectResponse", str(exc), name)
    else:
        failure = problem_of("malformed", "Autorisation expirée.", name)
    db.refresh(authz)
    if authz.status != "pending":  # a concurrent answer settled it meanwhile
        return authz
    order = db.get(AcmeOrder, authz.order_id)
    authz.method, authz.checking_since = method, None
    metrics.ACME_VALIDATIONS.labels(method, "invalid" if failure else "valid").inc()
    if failure:
        authz.status, authz.error = moved("authorization", authz.status, "invalid"), failure
    else:
        authz.status, authz.validated_at = moved("authorization", authz.status, "valid"), now
        domain_control.record_proof(db, structure_id=order.structure_id, name=name, method=method, token=token,
                                    actor=accounts.actor(account), now=now)
    db.add(authz)
    db.flush()
    refresh_status(db, order, now)
    return authz


def finalize(db: Session, keystore: KeyStore, account: AcmeAccount, order: AcmeOrder, payload: dict | None, *,
             base_url: str, limits: Limits, now: datetime | None = None) -> AcmeOrder:
    """Issue the order's certificate from its CSR, whose names are exactly the order's. Each check is made once:
    the account's standing on the order's structure here, the names' place in its declared domains at the order,
    their control by the authorizations, the CAA records and the key just before the token signs."""
    now = now or utcnow()
    structure = next((s for s in accounts.require_standing(db, account) if s.id == order.structure_id), None)
    if structure is None:
        raise Problem("unauthorized", "La structure de cette commande n’est plus dans le périmètre du compte.")
    refresh_status(db, order, now)
    if order.status != "ready":
        raise Problem("orderNotReady", f"La commande est «\u00a0{order.status}\u00a0»\u00a0: chaque autorisation doit "
                      "être valide avant la finalisation.")
    request = _checked_csr(payload, account, order)
    _check_domain_limit(db, order, structure, limits, now)
    try:
        require_contract(structure)
        domain_control.check_issuance(list(order.names))
    except CertificateRequestError as exc:
        raise Problem("unauthorized", str(exc)) from None
    except DomainError as exc:
        raise Problem("caa", str(exc)) from None
    _start_processing(db, order)
    person = db.get(Person, account.person_id)
    email = next((c[len("mailto:"):] for c in account.contact), "") or person.email or ""
    try:
        certificate = issue_checked(db, keystore, requested_by=person.national_id, structure=structure,
                                    profile_code="SERV_SSL", request=request, names=list(order.names),
                                    common_name=order.names[0], emails=[email] if email else [], usage="AUTRE",
                                    base_url=base_url, renewed_from_id=order.replaces_id)
    except KeyRefused as exc:
        raise Problem("badPublicKey", str(exc)) from None
    order.status, order.certificate_id = moved("order", order.status, "valid"), certificate.id
    db.add(order)
    db.flush()
    metrics.ACME_ORDERS.labels("issued").inc()
    outbox.queue(db, [email], f"Certificat délivré par ACME\u00a0: {certificate.common_name}",
                 f"Commande ACME n° {order.id} pour {structure.name}\u00a0: SERV SSL n° {certificate.serial_hex} "
                 f"({', '.join(order.names)}).\nValable jusqu’au {certificate.not_after:%d/%m/%Y}.")
    return order


def _checked_csr(payload: dict | None, account: AcmeAccount, order: AcmeOrder) -> CheckedRequest:
    """The CSR parsed once: possession proved, key strong enough, exactly the order's names, not the account key."""
    try:
        der = jose.b64.b64decode((payload or {}).get("csr", ""))
    except (ValueError, TypeError, AttributeError):
        raise Problem("badCSR", "CSR illisible (DER en base64url attendu).") from None
    try:
        request = load_csr(der)
    except CertificateRequestError as exc:
        raise Problem("badCSR", str(exc)) from None
    if request.other_names:
        raise Problem("badCSR", "La CSR porte des noms autres que DNS.")
    if request.names != set(order.names):
        raise Problem("badCSR", "La CSR doit porter exactement les noms de la commande\u00a0: "
                      f"{', '.join(order.names)}.")
    account_spki = crypto_key(jose.JWK.from_json(account.jwk)).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if request.spki_der == account_spki:
        raise Problem("badCSR", "La clé du certificat ne peut pas être celle du compte ACME.")
    return request


_PROCESS = sa.update(AcmeOrder.__table__).where(  # ready → processing, as the lifecycle allows, in one statement
    AcmeOrder.__table__.c.id == sa.bindparam("order_id"),
    AcmeOrder.__table__.c.status == "ready").values(status=moved("order", "ready", "processing"))


def _start_processing(db: Session, order: AcmeOrder) -> None:
    """Move the order from ready to processing in the database itself: of two finalizations at once (two nodes),
    one moves it and issues; the other finds it no longer ready (on PostgreSQL it waits for the first's commit on
    the row's lock, then sees its outcome) and gets orderNotReady. A refusal later rolls the move back."""
    taken = db.connection().execute(_PROCESS, {"order_id": order.id}).rowcount
    if taken != 1:
        db.refresh(order)
        raise Problem("orderNotReady", f"La commande est «\u00a0{order.status}\u00a0» : une autre finalisation "
                      "l’a déjà prise en charge.")
    order.status = moved("order", "ready", "processing")


def _check_domain_limit(db: Session, order: AcmeOrder, structure: Structure, limits: Limits, now: datetime) -> None:
    declared = domains.declared(db, structure)
    since = now - limits.windows["week"]
    issued = db.exec(select(IssuedCertificate.dns_names).join(AcmeOrder, AcmeOrder.certificate_id ==
                                                              IssuedCertificate.id)
                     .where(AcmeOrder.structure_id == structure.id, IssuedCertificate.created_at > since)).all()
    for domain in {d for d in declared if any(within(n, d) for n in order.names)}:
        count = sum(1 for names in issued if any(within(n, domain) for n in names))
        if count >= limits.certificates_per_domain_week:
            raise Problem("rateLimited", f"{limits.certificates_per_domain_week} certificats par semaine au plus "
                          f"pour le domaine {domain} : réessayez plus tard.", retry_after=86400)


def revoke(db: Session, keystore: KeyStore, signed: Signed) -> IssuedCertificate:
    """revokeCert (RFC 8555 §7.6): by an account whose scope holds the certificate, or by the certificate's key."""
    payload = signed.payload or {}
    try:
        der = jose.b64.b64decode(payload.get("certificate", ""))
        serial = format(x509.load_der_x509_certificate(der).serial_number, "x")
    except (ValueError, TypeError, AttributeError):
        raise Problem("malformed", "Certificat illisible (DER en base64url attendu).") from None
    reason = payload.get("reason", 0)
    if not isinstance(reason, int) or isinstance(reason, bool) or reason not in REVOCATION_REASONS:
        raise Problem("badRevocationReason", "Motif de révocation refusé (0, 1, 3, 4 ou 5).")
    row = db.exec(select(IssuedCertificate).where(IssuedCertificate.serial_hex == serial)).first()
    if row is None or row.der != der or row.profile != "SERV_SSL":
        raise Problem("unauthorized", "Certificat inconnu de ce serveur ACME.", status=404)
    if signed.account is not None:
        by = accounts.actor(signed.account)
        if row.structure_id not in {s.id for s in accounts.require_standing(db, signed.account)}:
            raise Problem("unauthorized", "Ce certificat n’est pas dans le périmètre du compte.")
    else:
        by = f"acme-cle:{thumbprint(signed.jwk)[:20]}"
        key = x509.load_der_x509_certificate(der).public_key()
        if key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) != \
                crypto_key(signed.jwk).public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo):
            raise Problem("unauthorized", "La requête n’est signée ni par un compte ni par la clé du certificat.")
    if row.revoked_at is not None:
        raise Problem("alreadyRevoked", "Ce certificat est déjà révoqué.")
    try:
        return revoke_certificate(db, keystore, row, reason=REVOCATION_REASONS[reason], revoked_by=by)
    except AlreadyRevoked as exc:
        raise Problem("alreadyRevoked", str(exc)) from None
    except CertificateRequestError as exc:
        raise Problem("serverInternal", str(exc)) from None
