"""Rate limits hold across gunicorn workers when they count in Redis (run when a Redis answers, as PostgreSQL)."""

import http.client
import random
import socket
import time

import pytest

from tests.conftest import free_port
from tests.live import portal_env, seeded_database, start_portal, stop


def redis_answers() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_ocsp_limit_is_shared_by_the_workers(tmp_path, fresh_database, app_config):
    url = seeded_database(fresh_database, "ratelimit")
    port = free_port()
    env = portal_env(app_config, database_url=url, instance=tmp_path / "instance", base_url=f"http://127.0.0.1:{port}",
                     RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0", OCSP_RATE_LIMIT="6 per minute")
    proc = start_portal(env, port)  # two workers
    # A client address of this run's own (all of 127/8 is loopback): no count left over from an earlier run.
    client = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
    codes = []
    seconds = time.localtime().tm_sec  # the limit counts by the minute (fixed window): start well inside one
    if seconds >= 45:
        time.sleep(61 - seconds)
    try:
        for _ in range(9):  # a new connection each time, so both workers serve
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(client, 0))
            connection.request("GET", "/pki/ocsp/MAA=")
            codes.append(connection.getresponse().status)
            connection.close()
    finally:
        stop(proc)
    assert codes == [200] * 6 + [429] * 3, codes
    # The count lives in Redis, which every worker reads, not in one worker's memory.
    import redis

    keys = redis.Redis(host="127.0.0.1", port=6379).keys(f"*{client}*")
    assert keys, "no rate-limit counter for this client in Redis"
