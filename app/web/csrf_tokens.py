"""The CSRF token every logged-in page carries, signed once per session and minute instead of on every render.

Flask-WTF signs the session's raw token with a timestamp (HMAC) each time a page asks for it; the pages of a
session ask for the same token. A signature reused for up to a minute stays far inside the token's one-hour
validity, and the raw token it signs is the session's own, so nothing crosses sessions."""

from __future__ import annotations

import time

from flask import current_app, g, session
from flask_wtf.csrf import generate_csrf

REUSE_SECONDS = 60
_MAX_SESSIONS = 4096


def register(app) -> None:
    signed: dict[str, tuple[float, str]] = {}  # the session's raw token -> (when signed, signed token)

    def csrf_token() -> str:
        field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        raw = session.get(field)
        if raw is None or field in g:
            return generate_csrf()
        key = raw
        now = time.monotonic()
        cached = signed.get(key)
        if cached is None or now - cached[0] > REUSE_SECONDS:
            if len(signed) >= _MAX_SESSIONS:
                signed.clear()
            cached = signed[key] = (now, generate_csrf())
        setattr(g, field, cached[1])  # later calls in this request (and form validation) see the same token
        return cached[1]

    app.jinja_env.globals["csrf_token"] = csrf_token
