"""Full page or named block: an htmx request (not boosted, not a history restore) gets the block only.

Flash messages live outside the blocks; a block answer carries them out of band (``hx-swap-oob``), so a
message never waits for the next full page.
"""

from __future__ import annotations

from flask import current_app, g, make_response, render_template, session
from jinja2_fragments.flask import render_block

from app.extensions import htmx


def wants_block() -> bool:
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template: str, *, block: str = "content", status: int = 200, **context):
    if g.get("refusal") is not None:  # the page a refusal shows again (app/web/refusals.py)
        status = g.refusal.status
    context.setdefault("has_errors", status in (409, 422))  # « Erreur » in the title of every refused form
    if not wants_block():
        return make_response(render_template(template, **context), status)
    pending = bool(session.get("_flashes")) and block != "main"  # "main" holds the alerts itself
    html = render_block(template, block, **context)
    if pending:
        html += current_app.jinja_env.globals["ui"].alerts(oob=True)
    return make_response(html, status)


def success(url: str):
    """After a successful post: 303 to ``url``; an htmx request that aimed at a block is sent there whole."""
    from flask import redirect

    if wants_block():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)
