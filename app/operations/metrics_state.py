"""What ``/metrics`` reads at scrape time: the outbox backlog and its oldest message, each CA's CRL ``nextUpdate``
margin and OCSP responder expiry, the HSM's health, the periodic jobs. One short read transaction, no write."""

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
            jobs = list(self._jobs(db))
        hsm = gauge("portail_hsm_up", "1 quand le HSM signe, 0 sinon")
        hsm.add_metric([], 1 if self.hsm.status()["ok"] else 0)
        yield from (backlog, oldest, crl, responder, hsm, *jobs)

    @staticmethod
    def _jobs(db):
        """The periodic jobs across every node (``job_state``): runs and failures as counters, the last success and
        the period, so that an alert sees a job late or failing whichever node ran it."""
        from prometheus_client.core import CounterMetricFamily

        from app.jobs.claims import states
        from app.jobs.periodic import BY_NAME

        runs = CounterMetricFamily("portail_job_runs", "Exécutions réussies des tâches périodiques", labels=["job"])
        failures = CounterMetricFamily("portail_job_failures", "Échecs des tâches périodiques", labels=["job"])
        success = gauge("portail_job_last_success_timestamp_seconds", "Dernière réussite (horodatage Unix)", ["job"])
        period = gauge("portail_job_period_seconds", "Période de la tâche", ["job"])
        running = gauge("portail_job_running", "1 quand une exécution tient la tâche", ["job"])
        now = utcnow()
        for row in states(db):
            runs.add_metric([row.name], row.runs)
            failures.add_metric([row.name], row.failures)
            success.add_metric([row.name], aware(row.succeeded_at).timestamp() if row.succeeded_at else 0)
            period.add_metric([row.name], BY_NAME[row.name].every if row.name in BY_NAME else 0)
            running.add_metric([row.name], 1 if row.lease_until and aware(row.lease_until) > now else 0)
        yield from (runs, failures, success, period, running)
