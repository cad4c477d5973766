"""The public OCSP responder: bounded parsing, a delegated responder key per CA, and pre-signed answers.

The CA keys stay off this path. Each worker keeps the answers it signed, keyed by the question, and hands
one out again while every status in it is unchanged and its nextUpdate is more than ``REUSE_MARGIN`` away;
the status itself is read from the database on every request, so a revocation takes effect at once.
Requests with a nonce get a fresh signature (the rate limit bounds them).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from app.models.base import utcnow
from app.signing import ca
from app.signing.keystore import KeyStore

from .hierarchy import all_issuers, current_responder
from .revocation import certificate_status

REUSE_MARGIN = timedelta(hours=1)
RESPONDER_TTL = 300.0  # seconds a worker trusts its idea of a CA's current responder
CACHE_SIZE = 10_000


@dataclass(frozen=True)
class _Signed:
    statuses: tuple[ca.OcspStatus, ...]
    reusable_until: datetime
    der: bytes


class OcspResponder:
    """One per process: answers RFC 6960 requests for every CA of the hierarchy."""

    def __init__(self, lifetime: timedelta = ca.OCSP_LIFETIME):
        self.lifetime = lifetime
        self._lock = threading.Lock()
        self._answers: OrderedDict[bytes, _Signed] = OrderedDict()
        self._responders: dict[ca.Issuer, tuple[float, ca.Responder]] = {}
        self.signatures = 0

    def answer(self, db: Session, keystore: KeyStore, request_der: bytes, now: datetime | None = None) -> bytes:
        now = now or utcnow()
        issuers = all_issuers(db)
        try:
            query = ca.parse_ocsp_request(request_der, list(issuers.values()))
        except ca.OcspRefusal as refusal:
            return ca.unsuccessful_ocsp_response(refusal.status)
        authority_id = next(i for i, item in issuers.items() if item is query.issuer)
        statuses = tuple(certificate_status(db, authority_id, serial) for serial in query.serials)
        if query.nonce is None:
            with self._lock:
                kept = self._answers.get(query.cache_key)
                if kept is not None and kept.statuses == statuses and now < kept.reusable_until:
                    self._answers.move_to_end(query.cache_key)
                    return kept.der
        responder = self._responder(db, authority_id, query.issuer, now)
        if responder is None:
            return ca.unsuccessful_ocsp_response("try_later")
        der = ca.ocsp_response(keystore, responder, query, list(statuses), now, self.lifetime)
        self.signatures += 1
        if query.nonce is None:
            with self._lock:
                self._answers[query.cache_key] = _Signed(statuses, now + self.lifetime - REUSE_MARGIN, der)
                while len(self._answers) > CACHE_SIZE:
                    self._answers.popitem(last=False)
        return der

    def _responder(self, db: Session, authority_id: int, issuer: ca.Issuer, now: datetime) -> ca.Responder | None:
        known = self._responders.get(issuer)
        if known and time.monotonic() - known[0] < RESPONDER_TTL:
            return known[1]
        row = current_responder(db, authority_id, now + REUSE_MARGIN)
        if row is None:
            return None
        responder = ca.Responder(issuer, row.key_label, row.der)
        self._responders[issuer] = (time.monotonic(), responder)
        return responder

    def forget(self) -> None:
        with self._lock:
            self._answers.clear()
            self._responders.clear()


_responder = OcspResponder()


def ocsp_answer(db: Session, keystore: KeyStore, request_der: bytes, now: datetime | None = None) -> bytes:
    """Answer an OCSP request with this process's responder."""
    return _responder.answer(db, keystore, request_der, now)


__all__ = ["OcspResponder", "ocsp_answer"]
