"""Issue 28 (2): logs an operator can use. Every line of a live portal is one JSON object; a request's lines (the
access line and the portal's own) carry its request id — the proxy's when trusted, else one made and sent back —
and the actor's national id; no login link's token reaches the log."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import requests

from tests.conftest import free_port
from tests.faults.test_two_nodes import DIRECTOR, _cookie
from tests.live import portal_env, seeded_database, start_portal, stop


def _lines(proc) -> list[dict]:
    found = []
    for line in Path(proc.log_path).read_text().splitlines():
        found.append(json.loads(line))  # every line is JSON, gunicorn's own included
    return found


def test_a_requests_lines_are_json_and_carry_its_id(app_config, fresh_database, tmp_path):
    database_url = seeded_database(fresh_database, "logs")
    port = free_port()
    portal = start_portal(portal_env(app_config, database_url=database_url, instance=tmp_path,
                                     base_url=f"http://127.0.0.1:{port}", WEB_CONCURRENCY="1", BEHIND_PROXY="1"),
                          port)
    try:
        browser = requests.Session()
        browser.cookies.set("portail_session", _cookie(app_config, database_url, DIRECTOR))
        refused = browser.get(f"http://127.0.0.1:{port}/instruction/", timeout=30,
                              headers={"X-Request-Id": "proxy-req-0001"})  # a director is no ANS operator
        assert refused.status_code == 403 and refused.headers["X-Request-Id"] == "proxy-req-0001"
        made = requests.get(f"http://127.0.0.1:{port}/auth/courriel/jeton-secret-du-lien", timeout=30,
                            headers={"X-Request-Id": "x"})  # malformed: a new id is made
        assert len(made.headers["X-Request-Id"]) == 32
        time.sleep(0.5)
        lines = _lines(portal)
    finally:
        stop(portal)
    mine = [line for line in lines if line.get("request_id") == "proxy-req-0001"]
    access = next(line for line in mine if line["logger"] == "access")
    assert (access["method"], access["path"], access["status"]) == ("GET", "/instruction/", 403)
    refusal = next(line for line in mine if line["message"].startswith("refused"))  # the portal's own line
    assert refusal["actor"] == DIRECTOR and refusal["level"] == "INFO"
    assert all(datetime.fromisoformat(line["time"]).utcoffset() == timedelta(0) for line in lines)  # ISO, UTC
    assert any(line.get("request_id") == made.headers["X-Request-Id"] for line in lines)
    assert "jeton-secret-du-lien" not in Path(portal.log_path).read_text()
