"""Full page or named block: an htmx request (not boosted, not a history restore) gets the block only."""

from __future__ import annotations

from flask import make_response, render_template
from jinja2_fragments.flask import render_block

from app.extensions import htmx


def wants_block() -> bool:
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template: str, *, block: str = "content", status: int = 200, **context):
    html = render_block(template, block, **context) if wants_block() else render_template(template, **context)
    return make_response(html, status)
