"""Issue 19 (7): PostgreSQL terminates the portal's connections (a restart, a failover). The requests that meet a
dead connection get the French 503 « réessayez », never a 500, and the portal serves again by itself."""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import free_port
from tests.faults.test_two_nodes import DIRECTOR, _cookie
from tests.live import invariants, portal_env, start_portal, stop


@pytest.fixture()
def portal_on_postgres(app_config, fresh_database, tmp_path):
    url = fresh_database("outage")
    if not url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    from app.db import Database
    from app.migrate import upgrade
    from seeds.loader import load

    upgrade(url)
    database = Database(url)
    with database.session() as db:
        load(db)
    database.engine.dispose()
    port = free_port()
    proc = start_portal(portal_env(app_config, database_url=url, instance=tmp_path, base_url=f"http://127.0.0.1:{port}",
                                   WEB_CONCURRENCY="1"), port)
    yield f"http://127.0.0.1:{port}", url, _cookie(app_config, url, DIRECTOR)
    stop(proc)


def _terminate(url: str) -> int:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                      "WHERE datname = :db AND pid <> pg_backend_pid()"),
                              {"db": make_url(url).database}).scalar()
    admin.dispose()
    return killed


def test_terminated_connections_give_a_french_503_then_the_portal_recovers(portal_on_postgres):
    base, url, cookie = portal_on_postgres
    browser = requests.Session()
    browser.cookies.set("portail_session", cookie)
    assert browser.get(f"{base}/tableau-de-bord", timeout=30).status_code == 200
    assert _terminate(url) >= 1
    answers = [browser.get(f"{base}/tableau-de-bord", timeout=30) for _ in range(4)]
    codes = [a.status_code for a in answers]
    assert set(codes) <= {200, 503} and codes[-1] == 200, codes
    for answer in answers:
        if answer.status_code == 503:
            assert "Réessayez" in answer.text and "La base de données ne répond pas" in answer.text
    assert invariants(url) == []
