"""Issue 28 (2): Prometheus metrics. ``/metrics`` is not public; with its token it shows the families an operator
alerts on, and each moves when its event happens: a request by route and status, a signature in the HSM by key, a
5xx by cause, the outbox backlog, the CRL margin and the OCSP responder's expiry per CA, ACME and domain checks."""

from __future__ import annotations

import pytest

TOKEN = "jeton-de-supervision-de-test"


@pytest.fixture()
def scrape(app, client, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "metrics_token", TOKEN)

    def read() -> str:
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200 and answer.content_type.startswith("text/plain")
        return answer.get_data(as_text=True)

    return read


def value(text: str, name: str, **labels) -> float:
    """The sample ``name`` with exactly these labels (in any order), 0 when absent."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == {k: str(v) for k, v in labels.items()}:
                return sample.value
    return 0.0


def test_metrics_are_not_public(app, client, monkeypatch):
    assert client.get("/metrics").status_code == 404  # no token set: absent
    monkeypatch.setattr(app.config["SETTINGS"], "metrics_token", TOKEN)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer autre"}).status_code == 401


def test_each_family_moves_with_its_event(db, hsm, client, scrape, monkeypatch):
    from app.models import OutboxMessage
    from app.operations.pki import init_pki

    init_pki(db, hsm, "http://localhost")
    db.commit()
    before = scrape()
    assert client.get("/referentiel/").status_code == 200
    hsm.sign("seal-portail", b"bonjour")
    db.add(OutboxMessage(recipient="a@exemple.fr", subject="s", body="b"))
    db.commit()

    monkeypatch.setattr(type(hsm), "status", lambda self: {"ok": False, "error": "x"})
    after = scrape()
    labels = {"route": "/referentiel/", "method": "GET", "status": "200"}
    assert value(after, "portail_http_request_duration_seconds_count", **labels) == \
        value(before, "portail_http_request_duration_seconds_count", **labels) + 1
    assert value(after, "portail_hsm_signature_duration_seconds_count", key="seal-portail") == \
        value(before, "portail_hsm_signature_duration_seconds_count", key="seal-portail") + 1
    assert value(after, "portail_outbox_backlog") == value(before, "portail_outbox_backlog") + 1
    assert value(after, "portail_hsm_up") == 0 and value(before, "portail_hsm_up") == 1
    assert value(after, "portail_crl_next_update_margin_seconds", ca="personnes") > 0
    assert value(after, "portail_ocsp_responder_expiry_seconds", ca="personnes") > 86400


def test_5xx_by_cause_and_mail_deliveries_move(app, db, scrape):
    import sqlalchemy as sa

    from app import mail
    from app.operations import outbox
    from app.signing.hsm import HsmUnavailable

    before = scrape()
    with app.test_request_context("/demarches/1/deposer", method="POST"):
        assert app.handle_user_exception(HsmUnavailable("token parti")).status_code == 503
        failure = sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        assert app.handle_user_exception(failure).status_code == 503
    outbox.queue(db, ["b@exemple.fr"], "Sujet", "Corps")
    db.commit()

    class Relay:
        def send(self, *_args):
            pass

    assert mail.deliver_due(db, Relay())["sent"] >= 1
    after = scrape()
    for cause in ("hsm", "base"):
        assert value(after, "portail_http_5xx_total", cause=cause) == value(before, "portail_http_5xx_total",
                                                                             cause=cause) + 1
    assert value(after, "portail_outbox_deliveries_total", outcome="sent") > \
        value(before, "portail_outbox_deliveries_total", outcome="sent")


def test_a_live_portals_workers_are_added_up(app_config, database_url, tmp_path):
    """gunicorn's multiprocess mode: requests served by two workers are counted once each in one scrape."""
    import requests

    from tests.conftest import free_port
    from tests.live import portal_env, start_portal, stop

    port = free_port()
    portal = start_portal(portal_env(app_config, database_url=database_url, instance=tmp_path,
                                     base_url=f"http://127.0.0.1:{port}", WEB_CONCURRENCY="2", METRICS_TOKEN=TOKEN),
                          port)
    try:
        for _ in range(6):
            assert requests.get(f"http://127.0.0.1:{port}/referentiel/", timeout=30).status_code == 200
        text = requests.get(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                            timeout=30).text
    finally:
        stop(portal)
    assert value(text, "portail_http_request_duration_seconds_count", route="/referentiel/", method="GET",
                 status="200") == 6
    assert value(text, "portail_hsm_up") in (0.0, 1.0) and "portail_outbox_backlog" in text


def test_the_alert_rules_name_metrics_the_portal_exposes(scrape):
    """deploy/prometheus-rules.yml: every metric an alert reads is one /metrics shows (no alert on a typo)."""
    import re
    from pathlib import Path

    import yaml

    rules = yaml.safe_load((Path(__file__).resolve().parents[2] / "deploy" / "prometheus-rules.yml").read_text())
    exposed = set(re.findall(r"^# TYPE (\S+)", scrape(), re.M))
    names = {name for group in rules["groups"] for rule in group["rules"]
             for name in re.findall(r"\b(portail_[a-z0-9_]+)", rule["expr"])}
    assert len(rules["groups"][0]["rules"]) >= 6
    def family(name: str) -> str:
        return re.sub(r"_(count|sum|bucket|total)$", "", name)

    assert {family(n) for n in names} <= {family(n) for n in exposed}
