"""How long the agency usually takes, measured on the files it decided lately: what the filer is told comes next."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.models import Filing
from app.models.base import aware, utcnow

WINDOW = timedelta(days=90)
FEWEST = 5  # below this many decisions, a median says nothing


def usual_delay(db: Session, form: str, now: datetime | None = None) -> int | None:
    """Median days from deposit to decision of this form's files decided in the last 90 days (None when too few)."""
    now = now or utcnow()
    rows = db.exec(select(Filing.deposited_at, Filing.decided_at).where(
        Filing.form == form, Filing.decided_at >= now - WINDOW, Filing.deposited_at.is_not(None))).all()
    if len(rows) < FEWEST:
        return None
    return max(1, round(statistics.median((aware(d) - aware(p)).total_seconds() / 86400 for p, d in rows)))


def what_next(db: Session, form: str) -> str:
    """What happens after a deposit, with the delay measured."""
    delay = usual_delay(db, form)
    said = (f"le délai habituel constaté est de {delay}\u00a0jour{'s' if delay > 1 else ''} (médiane des dossiers "
            f"{form} décidés ces 90 derniers jours)" if delay
            else "le délai habituel n’est pas encore mesuré pour ce formulaire")
    return (f"L’ANS instruit votre dossier\u00a0: {said}. Vous êtes prévenu par courriel à chaque étape\u00a0: une "
            "question de l’agence, une correction demandée, la décision.")
