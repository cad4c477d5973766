"""gunicorn's access log without secrets: the e-mail login link's token and OpenID Connect's code and state
never reach a log line (the request line, the path, the query and the referer are redacted)."""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

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
