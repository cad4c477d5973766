"""Start-up checks: one clear line naming what is wrong and how to fix it, never a traceback.

Run as ``python -m app.preflight`` (gunicorn's ``on_starting`` hook does), so the PKCS#11 module is
loaded in a throwaway process and never in the gunicorn master.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa

from app.config import ConfigurationError, Settings, redact_url
from app.db import make_engine
from app.migrate import current_revision, head_revision
from app.signing.hsm import Hsm


def problems(settings: Settings) -> list[str]:
    try:
        settings.resolve_secrets()
    except ConfigurationError as exc:
        return [str(exc)]
    settings.apply_process_environment()
    found = []
    found.extend(_database_problems(settings.database_url))
    found.extend(_broker_problems(settings))
    status = Hsm(settings.pkcs11_module, settings.hsm_token_label, settings.hsm_pin).status()
    if not status["ok"]:
        found.append(status["error"])
    return found


def _database_problems(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        revision = current_revision(engine)
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:160]
        return [f"Base de données injoignable ({redact_url(url)}) : {reason}. Vérifiez que le serveur "
                "tourne et la variable DATABASE_URL (sans elle, SQLite sous instance/ est utilisé)."]
    finally:
        engine.dispose()
    head = head_revision()
    if revision != head:
        return [f"Base de données non migrée (révision {revision or 'aucune'}, attendue {head}) : "
                "lancez « flask db upgrade »."]
    return []


def _broker_problems(settings: Settings) -> list[str]:
    from app.jobs import make_huey

    try:
        make_huey(settings.job_broker, settings.instance_path).pending_count()
    except ConfigurationError as exc:
        return [str(exc)]
    except Exception as exc:  # redis, psycopg or sqlite3: whichever the broker's driver raises
        return [f"File des tâches injoignable ({redact_url(settings.job_broker)}) : {type(exc).__name__}. "
                "Vérifiez JOB_BROKER et que son serveur tourne (sans elle, rien n'est envoyé ni re-signé)."]
    return []


def main() -> int:
    try:
        found = problems(Settings.from_env())
    except ConfigurationError as exc:  # a value of the wrong type (MAIL_PORT=x): one line too
        found = [str(exc)]
    for line in found[:1]:
        print(f"portail : {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
