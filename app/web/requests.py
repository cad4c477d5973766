"""Requests without NUL characters: PostgreSQL refuses them in text, and no person types one.

Form fields, query strings and JSON bodies have theirs removed as they are parsed (what was typed around them is
kept); a path that contains one names nothing here (404).
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask.wrappers import Request
from werkzeug.datastructures import ImmutableMultiDict

NUL = "\x00"


def _clean(value):
    if isinstance(value, str):
        return value.replace(NUL, "") if NUL in value else value
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


class NulFreeMultiDict(ImmutableMultiDict):
    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        items = mapping.items(multi=True) if isinstance(mapping, ImmutableMultiDict) else (
            mapping.items() if isinstance(mapping, dict) else mapping)
        super().__init__([(_clean(k), _clean(v)) for k, v in items])


class PortalRequest(Request):
    parameter_storage_class = NulFreeMultiDict

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        return _clean(super().get_json(force=force, silent=silent, cache=cache))


def register(app: Flask) -> None:
    app.request_class = PortalRequest

    @app.before_request
    def _no_nul_in_path():
        if NUL in request.path:
            abort(404)
