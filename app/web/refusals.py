"""A refusal becomes an answer here, once, for every blueprint (see ``app.domain.refusals``).

A view that shows a form says, before acting, which page a refusal shows again (``on_refusal``); the handler
undoes the request's writes, reloads what the page shows, and answers that page with the refusal's status.
Without it, the French error page names the refusal. The editors' API answers JSON, ACME problem+json.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, g, jsonify, make_response, request

from app.db import refuse
from app.domain.refusals import Refusal
from app.errors import ACME_PREFIX, API_PREFIX, render_error


def on_refusal(render: Callable[[Refusal], object], *reload) -> None:
    """If this request is refused, answer ``render(refusal)``; ``reload`` are the objects it shows, as stored."""
    g.on_refusal = (render, reload)


def register(app: Flask) -> None:
    app.register_error_handler(Refusal, answer)


def answer(refusal: Refusal):
    render, reload = g.pop("on_refusal", (None, ()))
    if not g.get("keep_changes"):  # a draft saved as typed (app.db.keep) stays beside its refusal
        refuse(*reload)
    g.refusal = refusal
    if request.path.startswith(API_PREFIX):
        response = jsonify({"erreur": str(refusal)} | ({"champ": refusal.field} if refusal.field else {}))
    elif request.path.startswith(ACME_PREFIX) or render is None:
        return render_error(refusal.status, str(refusal))
    else:
        response = make_response(render(refusal))
    response.status_code = refusal.status
    return response
