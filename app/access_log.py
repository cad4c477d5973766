"""gunicorn's logs: the access log as one JSON object a request (its request id, method, path, status, bytes,
duration), gunicorn's own lines in the portal's JSON format (app/logs.py), and no secret: the e-mail login link's
token and OpenID Connect's code and state never reach a log line (path, query and referer are redacted).
LOG_FORMAT=text keeps gunicorn's plain formats."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime

from gunicorn.glogging import Logger

from app.domain.inputs import parse_int

_SECRETS = (
    (re.compile(r"(/auth/courriel/)[^/?#\s\"]+"), r"\1[masqué]"),
    (re.compile(r"((?:^|[?&])(?:code|state|session_state|id_token|access_token|cle)=)[^&#\s\"]*"), r"\1[masqué]"),
)


def redact(text: str | None) -> str | None:
    """``text`` with every secret a URL of the portal may carry replaced by « [masqué] »."""
    if not text:
        return text
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactingLogger(Logger):
    """The access log of gunicorn.conf.py: same format, secrets masked."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        if atoms.get("q"):
            atoms["q"] = redact("?" + atoms["q"])[1:]
        # Every atom a format may name: the request line, path, referer, and the headers and environ copies.
        return {key: redact(value) if isinstance(value, str) and key != "q" else value for key, value in atoms.items()}

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if _json():
            from app.logs import _Context, formatter

            for handler in self.error_log.handlers:
                handler.setFormatter(formatter())
                handler.addFilter(_Context())

    def access(self, resp, req, environ, request_time) -> None:
        if not _json():
            super().access(resp, req, environ, request_time)
            return
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.logconfig_dict or self.cfg.syslog):
            return
        atoms = self.atoms(resp, req, environ, request_time)
        entry = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "level": "INFO", "logger": "access",
                 "request_id": atoms.get("{x-request-id}o") if atoms.get("{x-request-id}o") != "-" else None,
                 "method": atoms["m"], "path": atoms["U"], "query": atoms["q"] or None,
                 "status": parse_int(str(atoms["s"]), low=100, high=999) or atoms["s"],
                 "bytes": atoms["B"], "duration_ms": round(request_time.total_seconds() * 1000, 1),
                 "remote": atoms["h"], "user_agent": atoms["a"]}
        try:
            self.access_log.info(json.dumps(entry, ensure_ascii=False))
        except Exception:  # noqa: BLE001 - gunicorn's own policy: a log failure never fails the request
            self.exception("Failed to log the access")


def _json() -> bool:
    return os.environ.get("LOG_FORMAT", "json") != "text"
