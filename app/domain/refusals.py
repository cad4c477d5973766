"""The one user error: what the rules refuse, said in French, next to the field it concerns.

The domain and the operations raise it; they never choose an HTTP answer. ``app/errors.py`` turns it into one,
once: the page the request came from shown again with the message beside its field and the error summary
(422, or 409 when the file moved since the page was shown), JSON for the editors' API, problem+json for ACME.
Nothing the request wrote is kept, unless the view asked to keep a draft as typed (``app.db.keep``).
"""

from __future__ import annotations


class Refusal(Exception):
    """A request the rules refuse. ``errors`` maps a field (or a wizard step's field) to its message."""

    status = 422

    def __init__(self, message: str = "", field: str | None = None, *, errors: dict | None = None,
                 status: int | None = None):
        self.field = field
        self.errors = errors if errors is not None else ({field: message} if field else {})
        super().__init__(message or "; ".join(_messages(self.errors)))
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        return str(self)


class Conflict(Refusal):
    """The thing changed since the page was shown (another agent acted, the file moved on): 409."""

    status = 409


class OutOfScope(Refusal):
    """What the request names is not the actor's to act on (a structure they do not administer): 403."""

    status = 403


def _messages(errors: dict):
    for value in errors.values():
        if isinstance(value, dict):
            yield from _messages(value)
        else:
            yield str(value)
