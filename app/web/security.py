"""Who is the actor of this request, and the ``requires`` decorator every protected view uses."""

from __future__ import annotations

import functools

from flask import abort, current_app, flash, g, redirect, request, session, url_for

from app.db import bookkeeping, get_session
from app.domain.permissions import ANONYMOUS, can
from app.logs import ACTOR
from app.operations.login import build_actor, check_session

SESSION_KEY = "sid"


def load_actor() -> None:
    """before_request: the live portal session's actor, or the anonymous one."""
    g.actor = ANONYMOUS
    g.login_session = None
    if request.endpoint in (None, "static", "asset", "main.healthz", "main.readyz", "metrics"):
        return
    sid = session.get(SESSION_KEY)
    if not sid:
        return
    live = check_session(get_session(), sid, later=bookkeeping)  # its touch or end: committed whatever follows
    if live is None:
        session.pop(SESSION_KEY, None)
        g.session_expired = True  # the login page says why the user is there
        return
    g.login_session = live
    g.actor = build_actor(live)
    ACTOR.set(live.national_id)


def start_portal_session(login_id: str) -> None:
    """Rotate: nothing of the pre-login cookie survives, the new session id is fresh."""
    session.clear()
    session[SESSION_KEY] = login_id
    session.permanent = False


def requires(action: str, target=None):
    """Refuse the view unless ``can(actor, action, target(**view_args))``: 403, or login when anonymous.

    With a ``target`` loader, the loaded resource is handed to the view as ``target``: no second fetch.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            actor = g.get("actor", ANONYMOUS)
            if not actor.authenticated:
                if request.method == "GET":
                    if g.get("session_expired"):
                        flash("Votre session a expiré (inactivité) : reconnectez-vous, vous reviendrez sur la page "
                              "demandée.", "info")
                    return redirect(url_for("auth.login", next=request.full_path), code=303)
                abort(401)
            resolved = target(**kwargs) if target else None
            if not can(actor, action, resolved):
                current_app.logger.info("refused %s to %s on %r", action, actor.national_id, resolved)
                abort(403)
            return view(*args, **kwargs, target=resolved) if target else view(*args, **kwargs)

        wrapped.required_action = action
        return wrapped

    return decorator


def structure_target(structure_id: int):
    """The structure itself, read only (it says its id and parent EJ, as the rules need)."""
    from app.models.structures import ONE_STRUCTURE, StructureRow

    found = get_session().connection().execute(ONE_STRUCTURE, {"structure_id": structure_id}).first()
    if found is None:
        abort(404)
    return StructureRow(found)
