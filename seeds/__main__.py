"""``python -m seeds``: load the demonstration data into the configured database (idempotent; refused in
production). It lives beside the application, not in it: production installs ``app`` alone."""

from __future__ import annotations

import sys

from flask import Flask


def main(app: Flask | None = None) -> int:
    from app import create_app
    from app.db import get_session
    from seeds.loader import load

    app = app or create_app()
    if app.config["SETTINGS"].is_production:
        print("Refusé : PORTAL_ENV=production. Les données de démonstration ne vont jamais dans une base de "
              "production.", file=sys.stderr)
        return 1
    with app.app_context():
        created = load(get_session())
    summary = ", ".join(f"{n} {k}" for k, n in sorted(created.items()) if n) or "rien de nouveau"
    print(f"Données de démonstration chargées : {summary}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
