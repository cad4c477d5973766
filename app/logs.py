"""Logs an operator can use: one JSON object a line (python-json-logger), each carrying the request id of the
request it belongs to — or of the request that queued the work a thread does — and the actor's national id;
never a patient field, a token, a PIN or a login link (the access log redacts URLs: app/access_log.py).

The request id comes from ``X-Request-Id`` when a trusted proxy sets it (BEHIND_PROXY), else it is made here; the
answer carries it back in ``X-Request-Id``."""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid

from pythonjsonlogger.json import JsonFormatter

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
ACTOR: contextvars.ContextVar[str] = contextvars.ContextVar("actor", default="")
_GIVEN = re.compile(r"[A-Za-z0-9._:-]{8,128}")
FIELDS = "%(levelname)s %(name)s %(message)s"


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", None) or REQUEST_ID.get() or None
        record.actor = getattr(record, "actor", None) or ACTOR.get() or None
        return True


def formatter(fmt: str = "json") -> logging.Formatter:
    if fmt == "text":
        return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    return JsonFormatter(FIELDS + " %(request_id)s %(actor)s", timestamp="time",  # ISO 8601, UTC
                         rename_fields={"levelname": "level", "name": "logger"}, json_ensure_ascii=False)


def configure(fmt: str = "json", level: str = "INFO") -> None:
    """Every log line of the process on stderr, in ``fmt`` (json, or text for a developer's terminal)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Context())
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def request_id(header: str | None, *, trusted: bool) -> str:
    """The request's id: the proxy's when it is trusted and well formed, else a new one."""
    if trusted and header and _GIVEN.fullmatch(header):
        return header
    return uuid.uuid4().hex


def register(app) -> None:
    """Give each request its id (and the answer its header); the actor is set by the login check."""
    from flask import g, request

    trusted = app.config["SETTINGS"].behind_proxy > 0

    @app.before_request
    def _begin() -> None:
        g.request_id = request_id(request.headers.get("X-Request-Id"), trusted=trusted)
        REQUEST_ID.set(g.request_id)
        ACTOR.set("")

    @app.after_request
    def _answer(response):
        if g.get("request_id"):
            response.headers["X-Request-Id"] = g.request_id
        return response

    @app.teardown_request
    def _end(_exc) -> None:
        REQUEST_ID.set("")
        ACTOR.set("")
