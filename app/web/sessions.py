"""The portal's cookie sessions (signed, holding only the portal session's id)."""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, the signing serializer built once per key set instead of twice a request
    (itsdangerous checks its JSON serializer with a trial dump each time it is built)."""

    _built: tuple | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._built is None or self._built[0] != keys:
            self._built = (keys, super().get_signing_serializer(app))
        return self._built[1]
