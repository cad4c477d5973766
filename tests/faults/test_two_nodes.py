"""Issue 19 (1): two portal nodes on one database and one HSM token, nginx in front. A draft's attachment sent
to one node is read from the other; every answer through the balancer is the same, none a 5xx; both nodes seal
with the one token."""

from __future__ import annotations

import re
import secrets

import pytest
import requests

from tests.conftest import free_port
from tests.live import portal_env, seeded_database, start_nginx, start_portal, stop

DIRECTOR = "3440000016/DIR0001"  # KIT DIRECTEUR0006, legal representative of the CHU (seeds)


def _cookie(app_config, database_url: str, national_id: str) -> str:
    """The session cookie of a logged-in person, as a browser holds it after its first page."""
    from app import create_app
    from app.db import Database
    from app.operations.login import open_session
    from app.psc.claims import identity_from_userinfo
    from psc_sandbox.identities import find, psc_claims

    database = Database(database_url)
    with database.writing() as db:  # SQLite's write lock from the start: the live nodes write meanwhile
        sid = open_session(db, identity_from_userinfo(psc_claims(find(national_id), "CARD"))).id
    database.engine.dispose()
    app = create_app(dict(app_config) | {"SECRET_KEY": "live-tests", "DATABASE_URL": database_url})
    return app.session_interface.get_signing_serializer(app).dumps({"sid": sid, "csrf_token": secrets.token_hex(20)})


@pytest.fixture()
def two_nodes(app_config, fresh_database, tmp_path):
    database_url = seeded_database(fresh_database, "two_nodes")
    ports = [free_port(), free_port()]
    front = free_port()
    nodes = [start_portal(portal_env(app_config, database_url=database_url, instance=tmp_path / f"node{i}",
                                     base_url=f"http://127.0.0.1:{front}", WEB_CONCURRENCY="1"), port)
             for i, port in enumerate(ports)]
    nginx = start_nginx(tmp_path / "nginx", f"""
upstream portail {{ server 127.0.0.1:{ports[0]}; server 127.0.0.1:{ports[1]}; }}
server {{
    listen 127.0.0.1:{front};
    client_max_body_size 6m;
    location / {{ proxy_pass http://portail; proxy_set_header Host $http_host; }}
}}""")
    from tests.conftest import wait_for
    wait_for(f"http://127.0.0.1:{front}/healthz", nginx)
    yield {"front": f"http://127.0.0.1:{front}", "nodes": [f"http://127.0.0.1:{p}" for p in ports],
           "cookie": _cookie(app_config, database_url, DIRECTOR)}
    stop(nginx, *nodes)


def test_an_attachment_sent_to_one_node_is_read_from_the_other(two_nodes):
    first, second = (requests.Session() for _ in range(2))
    for browser in (first, second):
        browser.cookies.set("portail_session", two_nodes["cookie"])
    node_a, node_b = two_nodes["nodes"]
    page = first.get(f"{node_a}/demarches/nouvelle/F301", timeout=30).text
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    structure = re.search(r'name="structure_id" value="(\d+)"', page)
    assert structure, page[:3000]
    structure = structure.group(1)
    started = first.post(f"{node_a}/demarches/nouvelle/F301", data={"structure_id": structure, "csrf_token": token},
                         allow_redirects=False, timeout=30)
    assert started.status_code == 303, started.text[:500]
    filing = re.search(r"/demarches/(\d+)/", started.headers["Location"]).group(1)
    proof = b"%PDF-1.4\n% deux noeuds\n%%EOF\n"
    sent = first.post(f"{node_a}/demarches/{filing}/pieces", data={"csrf_token": token, "_retour": "dossier"},
                      files={"piece": ("kbis.pdf", proof, "application/pdf")}, allow_redirects=False, timeout=30)
    assert sent.status_code == 303
    listing = second.get(f"{node_b}/demarches/{filing}", timeout=30).text
    link = re.search(rf'href="(/demarches/{filing}/pieces/\d+)"', listing).group(1)
    assert second.get(f"{node_b}{link}", timeout=30).content == proof
    through = [second.get(f"{two_nodes['front']}{link}", timeout=30) for _ in range(6)]  # both nodes, in turn
    assert {r.status_code for r in through} == {200} and {r.content for r in through} == {proof}
