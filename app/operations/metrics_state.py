"""What ``/metrics`` reads at scrape time: the outbox backlog and its oldest message, each CA's CRL ``nextUpdate``
margin and OCSP responder expiry, the HSM's health. One short read transaction, no write."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from app.metrics import gauge
from app.models import Authority, OutboxMessage
from app.models.base import aware, utcnow

from .pki.hierarchy import current_responder


class PortalState:
    """A Prometheus collector over the database (``database.session``) and the token (``hsm.status``)."""

    def __init__(self, database, hsm):
        self.database, self.hsm = database, hsm

    def collect(self):
        now = utcnow()
        backlog = gauge("portail_outbox_backlog", "Courriels en attente d'envoi")
        oldest = gauge("portail_outbox_oldest_age_seconds", "Âge du plus ancien courriel en attente")
        crl = gauge("portail_crl_next_update_margin_seconds", "Temps restant avant le nextUpdate de la CRL",
                    ["ca"])
        responder = gauge("portail_ocsp_responder_expiry_seconds",
                          "Temps restant avant l'expiration du certificat du répondeur OCSP", ["ca"])
        with self.database.session(reads_only=True) as db:
            count, first = db.execute(sa.select(sa.func.count(OutboxMessage.id), sa.func.min(OutboxMessage.created_at))
                                      .where(OutboxMessage.sent_at.is_(None))).one()
            backlog.add_metric([], count)
            oldest.add_metric([], (now - aware(first)).total_seconds() if first else 0)
            for authority in db.exec(select(Authority)):
                if authority.crl_next_update:
                    crl.add_metric([authority.name], (aware(authority.crl_next_update) - now).total_seconds())
                current = current_responder(db, authority.id, now)
                responder.add_metric([authority.name],
                                     (aware(current.not_after) - now).total_seconds() if current else 0)
        hsm = gauge("portail_hsm_up", "1 quand le HSM signe, 0 sinon")
        hsm.add_metric([], 1 if self.hsm.status()["ok"] else 0)
        yield from (backlog, oldest, crl, responder, hsm)
