"""Issues 27 (2) and 29 (1): « Mes domaines › Vérifier » against a web server that accepts and never answers. The
page answers at once and shows the check under way; the job worker's check ends on its own deadline and the card
then says what was not found; no web worker is held and no transaction meanwhile (another user's deposit goes
through at once, on SQLite too). The quota per structure is tested in tests/domains/test_pages.py (one process:
in-memory limits are per process, Redis shares them between workers and nodes)."""

from __future__ import annotations

import re
import time

import requests

from tests.domains.servers import DnsServer
from tests.domains.test_bounds import HostileServer
from tests.faults.test_two_nodes import DIRECTOR, _cookie
from tests.live import pki_portal

ADMIN = "581234567600017/TECH0009"  # SERV administrator of the publisher (seeds), domain esl-sante.example


def _prepare(db, _hsm, _base, _work):
    from sqlmodel import select

    from app.models import Structure
    from app.operations import domain_control

    publisher = db.exec(select(Structure).where(Structure.siret == "81234567600017")).one()
    slow = domain_control.ask(db, publisher, text="lent.esl-sante.example", method="http-01", actor=ADMIN)
    chu = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
    return {"slow": slow.id, "chu": chu.id}


def _browser(app_config, database_url: str, who: str, page: str) -> requests.Session:
    browser = requests.Session()
    browser.cookies.set("portail_session", _cookie(app_config, database_url, who))
    text = browser.get(page, timeout=30).text
    browser.headers["X-CSRFToken"] = re.search(r'"X-CSRFToken": "([^"]+)"', text).group(1)
    return browser


def test_a_check_against_a_silent_server_holds_nobody(tmp_path_factory, fresh_database, app_config):
    dns_server, silent = DnsServer(), HostileServer("silent")
    dns_server.zone.a["lent.esl-sante.example"] = "127.0.0.1"
    try:
        with pki_portal(tmp_path_factory, fresh_database, app_config, "slow_domain", _prepare,
                        DNS_RESOLVER="127.0.0.1", DNS_PORT=str(dns_server.port), HTTP01_PORT=str(silent.port),
                        DOMAIN_CHECK_NETWORKS="127.0.0.0/8") as live:
            base, url = live["base"], live["database"].engine.url.render_as_string(hide_password=False)
            admin = _browser(app_config, url, ADMIN, f"{base}/certificats/domaines")
            director = _browser(app_config, url, DIRECTOR, f"{base}/demarches/nouvelle/F301")
            started = time.monotonic()
            asked = admin.post(f"{base}/certificats/domaines/{live['slow']}/verifier", allow_redirects=False,
                               timeout=60)
            answered_in = time.monotonic() - started
            assert asked.status_code == 303 and answered_in < 2.0, (asked.status_code, answered_in)
            page = admin.get(f"{base}/certificats/domaines", timeout=30).text
            assert "Vérification en cours" in page and "Cette carte se met à jour seule" in page
            started = time.monotonic()
            draft = director.post(f"{base}/demarches/nouvelle/F301", data={"structure_id": live["chu"]},
                                  allow_redirects=False, timeout=60)
            others_wait = time.monotonic() - started
            assert draft.status_code == 303 and others_wait < 3.0, (draft.status_code, others_wait)
            card = f"{base}/certificats/domaines/{live['slow']}"
            deadline = time.monotonic() + 30
            while "Vérification en cours" in (text := admin.get(card, timeout=30).text):
                assert time.monotonic() < deadline, "the worker's check outlived its deadline"
                time.sleep(0.5)
            assert "Aucun fichier à http://lent.esl-sante.example" in text and "Vérifier à nouveau" in text
    finally:
        silent.stop()
        dns_server.stop()
