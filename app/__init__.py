"""Portail santé. ``create_app`` builds the Flask application; the package itself imports no Flask,
so that ``app.signing``, ``app.psc`` and ``app.domain`` stay usable without it."""


def create_app(config: dict | None = None):
    """Build the portal. ``config`` overrides settings by their environment names (tests)."""
    from app.factory import create_app as build

    return build(config)
