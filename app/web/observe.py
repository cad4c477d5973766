"""Each request measured for Prometheus (route, method, status, duration), and ``/metrics`` for the operators:
never public — it answers only with ``Authorization: Bearer <METRICS_TOKEN>``, and is absent (404) without one."""

from __future__ import annotations

import hmac
import time

from flask import Flask, Response, abort, current_app, g, request

from app import metrics


def register(app: Flask) -> None:
    @app.before_request
    def _started() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _measured(response):
        if "started" in g and request.endpoint != "metrics":
            route = request.url_rule.rule if request.url_rule else "<inconnue>"
            metrics.REQUESTS.labels(route, request.method, str(response.status_code)).observe(
                time.perf_counter() - g.started)
        return response

    app.add_url_rule("/metrics", "metrics", _exposition)


def _exposition():
    token = current_app.config["SETTINGS"].metrics_token
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response("Jeton de supervision attendu.\n", status=401, headers={"WWW-Authenticate": "Bearer"})
    from app.operations.metrics_state import PortalState

    body, kind = metrics.exposition(PortalState(current_app.extensions["db"], current_app.extensions["hsm"]))
    return Response(body, content_type=kind)
