"""Prometheus metrics (prometheus-client). Under gunicorn each worker writes its counters to
PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py) and ``/metrics`` adds them up; in one process (tests, the CLI) the
default registry holds them. What is a state rather than an event — outbox backlog, CRL ``nextUpdate`` margins,
OCSP responder expiry, HSM health — is read from the database and the token at scrape time."""

from __future__ import annotations

import glob
import os
import re
import time
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Histogram("portail_http_request_duration_seconds", "Requêtes par route, méthode et statut",
                     ["route", "method", "status"],
                     buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
ERRORS = Counter("portail_http_5xx_total", "Réponses 5xx par cause", ["cause"])
SIGNATURES = Histogram("portail_hsm_signature_duration_seconds", "Signatures dans le HSM, par clé", ["key"],
                       buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
SIGNATURE_FAILURES = Counter("portail_hsm_signature_failures_total", "Signatures refusées par le HSM", ["key"])
MAILS = Counter("portail_outbox_deliveries_total", "Courriels de la file d'envoi, par issue", ["outcome"])
ACME_ORDERS = Counter("portail_acme_orders_total", "Commandes ACME, par issue", ["outcome"])
ACME_VALIDATIONS = Counter("portail_acme_validations_total", "Validations de domaine ACME", ["method", "outcome"])
DOMAIN_CHECKS = Counter("portail_domain_checks_total", "Vérifications « Mes domaines »", ["method", "outcome"])
AFTER_DECISION = Counter("portail_after_decision_total", "Après la décision\u00a0: fiches de suivi, inscriptions CPC, "
                         "effets indésirables (par gravité), rapports des laboratoires", ["form", "outcome"])
JOB_RUNS = Histogram("portail_job_duration_seconds", "Exécutions des tâches sur ce nœud, par tâche et issue",
                     ["job", "outcome"], buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300))

_KEY_SUFFIX = re.compile(r"-[0-9a-f]{8}$")


def key_name(label: str) -> str:
    """A key's label without the random suffix of a renewed key (``ocsp-personnes-1a2b3c4d`` → ``ocsp-personnes``):
    one series per role of key, not one per renewal."""
    return _KEY_SUFFIX.sub("", label)


@contextmanager
def signing(label: str):
    """Time a signature with ``label``; count it as a failure when the HSM refuses."""
    started = time.perf_counter()
    try:
        yield
    except Exception:
        SIGNATURE_FAILURES.labels(key_name(label)).inc()
        raise
    SIGNATURES.labels(key_name(label)).observe(time.perf_counter() - started)


def exposition(state_collector=None) -> tuple[bytes, str]:
    """The text exposition: every process's counters and the state read now."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        registry = CollectorRegistry()
        registry.register(_Files((directory, worker_directory())))
    else:
        registry = CollectorRegistry()
        registry.register(_Default())
    if state_collector is not None:
        registry.register(state_collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def worker_directory() -> str:
    """Where the job worker (``python -m app.jobs``) writes its counters: JOB_METRICS_DIR, else the instance's
    ``metrics-jobs``. ``/metrics`` adds them to the web processes' own."""
    from app.config import PROJECT_ROOT

    return os.environ.get("JOB_METRICS_DIR") or os.path.join(
        os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance"), "metrics-jobs")


class _Files:
    """The counters every process wrote in these directories (gunicorn's workers, the job worker), added up."""

    def __init__(self, directories):
        self.directories = directories

    def collect(self):
        from prometheus_client.multiprocess import MultiProcessCollector

        files = [path for directory in self.directories for path in glob.glob(os.path.join(directory, "*.db"))]
        return MultiProcessCollector.merge(files, accumulate=True)


class _Default:
    """The process's own registry inside a scrape registry of its own (the state collector is per scrape)."""

    def collect(self):
        yield from REGISTRY.collect()


def gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)
