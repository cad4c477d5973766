"""Issue 28 (1): a periodic job's period is run by one process only; a run killed mid-way (its claim's lease
lapsed with no end recorded) is run again; a failure is recorded and retried at the next tick; the state is what
``/metrics`` shows for the whole cluster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.jobs import claims
from app.models.base import utcnow


@pytest.fixture()
def database(app, db):
    return app.extensions["db"]


def _period_start() -> datetime:
    """The start of the current hour (the steps below stay within one period whatever the clock says)."""
    return datetime.fromtimestamp(int(utcnow().timestamp()) // 3600 * 3600, tz=UTC)


def test_one_claim_per_period_and_a_killed_run_is_taken_again(database, monkeypatch):
    now = _period_start()
    first = claims.claim(database, "essai", every=300, lease=60, now=now)
    assert first == claims.slot_of(now, 300)
    assert claims.claim(database, "essai", every=300, lease=60, now=now) is None  # the other node: already taken
    # the first runner is killed: no end recorded; within its lease nobody takes the period, past it someone does
    assert claims.claim(database, "essai", every=300, lease=60, now=now + timedelta(seconds=30)) is None
    monkeypatch.setattr(claims, "owner", lambda: "autre-nœud:42")
    again = claims.claim(database, "essai", every=300, lease=60, now=now + timedelta(seconds=61))
    assert again == first
    assert claims.record(database, "essai", again, ok=True, duration=0.1, summary="fait")
    # done: the same period is not run a third time, the next one is
    assert claims.claim(database, "essai", every=300, lease=60, now=now + timedelta(seconds=62)) is None
    assert claims.claim(database, "essai", every=300, lease=60, now=now + timedelta(seconds=300)) == first + 1


def test_a_late_end_does_not_overwrite_the_run_that_took_over(database, monkeypatch):
    now = _period_start()
    slot = claims.claim(database, "essai", every=60, lease=10, now=now)
    monkeypatch.setattr(claims, "owner", lambda: "autre-nœud:42")
    assert claims.claim(database, "essai", every=60, lease=10, now=now + timedelta(seconds=11)) == slot
    monkeypatch.undo()
    assert not claims.record(database, "essai", slot, ok=True, duration=12.0)  # the slow first runner, too late


def test_a_failure_is_recorded_and_the_next_tick_retries(app, database, db):
    from app.jobs.periodic import BY_NAME, Periodic

    jobs = app.extensions["jobs"]
    calls = []

    def flaky(ctx):
        calls.append(ctx.now)
        if len(calls) == 1:
            raise RuntimeError("HSM parti")
        return "fait"

    BY_NAME["essai"] = Periodic("essai", 3600, flaky)
    try:
        with pytest.raises(RuntimeError):
            jobs.run_periodic("essai")
        assert jobs.run_periodic("essai") == "fait"  # a minute later, same hour: run again since it failed
        assert jobs.run_periodic("essai") is None  # done for this hour
    finally:
        del BY_NAME["essai"]
    row = next(r for r in claims.states(db) if r.name == "essai")
    assert (row.runs, row.failures, row.last_error, row.last_summary) == (1, 1, "RuntimeError: HSM parti", "fait")
    assert row.lease_until is None and row.succeeded_at and row.failed_at


def test_job_state_is_in_the_metrics(app, client, db, hsm, monkeypatch):
    from app.operations.pki import init_pki
    from tests.web.test_metrics import TOKEN, value

    init_pki(db, hsm, "http://localhost")
    db.commit()
    monkeypatch.setattr(app.config["SETTINGS"], "metrics_token", TOKEN)

    def scrape():
        return client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)

    before = scrape()
    assert app.extensions["jobs"].run_periodic("crl", force=True).startswith("CRL")
    after = scrape()
    assert value(after, "portail_job_runs_total", job="crl") == value(before, "portail_job_runs_total", job="crl") + 1
    assert value(after, "portail_job_last_success_timestamp_seconds", job="crl") >= utcnow().timestamp() - 60
    assert value(after, "portail_job_period_seconds", job="crl") == 300
    assert value(after, "portail_job_running", job="crl") == 0
    assert value(after, "portail_job_duration_seconds_count", job="crl", outcome="success") == \
        value(before, "portail_job_duration_seconds_count", job="crl", outcome="success") + 1
