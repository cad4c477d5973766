"""The portal's periodic jobs: what each does, how often, and for how long its claim holds.

Each job is idempotent (run twice, it does nothing more) and short; a run's writes commit before its claim
records the end, so a run killed in between is only run again."""

from __future__ import annotations

import logging
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What a job works with: the request-less session, the HSM, the settings, the mailer, the time."""

    db: object
    hsm: object
    settings: object
    mailer: object
    now: datetime


@dataclass(frozen=True)
class Periodic:
    name: str
    every: int  # seconds: the job's period
    run: Callable[[Context], str]  # does the work (flushes or commits), returns a one-line summary
    lease: int = 600  # seconds a claim holds: past it, a run that recorded no end is taken as killed
    wanted: Callable[[object], bool] = lambda _settings: True  # noqa: E731 - whether these settings need it


def _crls(ctx: Context) -> str:
    from app.operations.pki import refresh_crls

    refreshed = refresh_crls(ctx.db, ctx.hsm, ctx.now)
    return f"CRL renouvelées : {', '.join(refreshed) or 'aucune'}"


def _responders(ctx: Context) -> str:
    from app.operations.pki import renew_responders
    from app.operations.pki.token import prune

    renewed = renew_responders(ctx.db, ctx.hsm, ctx.settings.portal_base_url, ctx.now)
    ctx.db.commit()
    pruned = prune(ctx.db, ctx.hsm, ctx.now)  # after the renewal is committed: every new key has its certificate
    return f"répondeurs renouvelés : {', '.join(renewed) or 'aucun'} ; clés retirées du jeton : {len(pruned)}"


def _expiry_notices(ctx: Context) -> str:
    from app.operations.expiry import send_expiry_notices

    return f"avis d’expiration : {send_expiry_notices(ctx.db, now=ctx.now, base_url=ctx.settings.portal_base_url)}"


def _aac_expiry(ctx: Context) -> str:
    from app.operations.aac import expire_granted

    return f"autorisations arrivées à échéance : {expire_granted(ctx.db, ctx.now.date())}"


def _correction_reminders(ctx: Context) -> str:
    from app.operations.exchanges import remind_corrections

    base = ctx.settings.portal_base_url.rstrip("/")
    sent = remind_corrections(ctx.db, lambda filing_id: f"{base}/demarches/{filing_id}", ctx.now)
    return f"rappels de correction\u00a0: {sent}"


def _follow_up_reminders(ctx: Context) -> str:
    from app.operations.follow_up import remind

    base = ctx.settings.portal_base_url.rstrip("/")
    from app.operations.reports import remind_reports

    sent = remind(ctx.db, ctx.now.date(), lambda file_id: f"{base}/suivi/{file_id}")
    reports = remind_reports(ctx.db, ctx.now.date(), lambda code: f"{base}/laboratoire/{code}/rapport")
    return f"rappels de suivi (PUT-SP)\u00a0: {sent}\u00a0; rapports de synthèse\u00a0: {reports}"


def _card_crl_file(ctx: Context) -> str:
    from app.operations.card_login import write_card_crls

    path, reload = ctx.settings.cps_crl_file, ctx.settings.cps_crl_reload
    if not write_card_crls(ctx.db, path):
        return f"{path} inchangé"
    if reload:  # nginx reads ssl_crl at (re)load only: reload it when, and only when, the file changed
        subprocess.run(shlex.split(reload), check=True, timeout=60, capture_output=True)
    return f"{path} mis à jour{' ; ' + reload if reload else ''}"


def _outbox(ctx: Context) -> str:
    sent = ctx.mailer.deliver()
    return f"courriels : {sent['sent']} envoyé(s), {sent['failed']} en échec"


def _acme_check(ctx: Context, authz_id: int) -> str:
    from app.operations import domain_control
    from app.operations.acme import orders

    return orders.run_check(ctx.db, domain_control.checker_for(ctx.settings), authz_id)


def _domain_check(ctx: Context, control_id: int, by: str) -> str:
    from app.operations import domain_control

    return domain_control.run_check(ctx.db, domain_control.checker_for(ctx.settings), control_id, by)


def _stale_checks(ctx: Context) -> str:
    """Checks asked (ACME challenges « processing », « Mes domaines › Vérifier ») whose task was lost with its
    worker: looked at now."""
    from app.models import DomainControl
    from app.operations import domain_control
    from app.operations.acme import orders

    challenges, controls = orders.stale_checks(ctx.db, ctx.now), domain_control.stale_checks(ctx.db, ctx.now)
    ctx.db.commit()
    for authz_id in challenges:
        _acme_check(ctx, authz_id)
        ctx.db.commit()
    for control_id in controls:
        _domain_check(ctx, control_id, ctx.db.get(DomainControl, control_id).requested_by)
        ctx.db.commit()
    return f"vérifications reprises : {len(challenges)} défi(s) ACME, {len(controls)} domaine(s)"


# One-off tasks, queued by a request after its commit (app.jobs.Jobs.enqueue).
TASKS: dict[str, Callable[..., str]] = {"outbox": lambda ctx: _outbox(ctx), "acme-check": _acme_check,
                                        "domain-check": _domain_check}

JOBS: tuple[Periodic, ...] = (
    Periodic("crl", 300, _crls),
    Periodic("ocsp-responders", 3600, _responders),
    Periodic("expiry-notices", 3600, _expiry_notices),
    Periodic("aac-expiry", 3600, _aac_expiry),
    Periodic("correction-reminders", 3600, _correction_reminders),
    Periodic("follow-up-reminders", 3600, _follow_up_reminders),
    Periodic("card-crl-file", 60, _card_crl_file, wanted=lambda s: bool(s.cps_crl_file)),
    Periodic("outbox", 60, _outbox, lease=900),  # catches what a kick missed, and retries what failed
    Periodic("domain-checks", 60, _stale_checks),
)
BY_NAME = {job.name: job for job in JOBS}
