"""The portal with two pages that show nothing: the floor of its request path, measured beside the real pages.

``/_plancher/vide``: a logged-in request (session cookie, actor, permission check) answering a few bytes;
``/_plancher/gabarit``: the same with the base layout around an empty content block.
"""

from flask import g, render_template

from app import create_app
from app.web.security import requires

app = create_app()
_LAYOUT = app.jinja_env.from_string('{% extends "base.html" %}{% block title %}Plancher{% endblock %}')


@app.get("/_plancher/vide")
@requires("dashboard.view")
def empty():
    return g.actor.display_name


@app.get("/_plancher/gabarit")
@requires("dashboard.view")
def layout():
    return render_template(_LAYOUT)
