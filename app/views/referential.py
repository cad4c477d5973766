"""Public catalogue: référentiel des spécialités en accès dérogatoire (AAC, AAP, CPC)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import sqlalchemy as sa
from flask import Blueprint, request

from app.db import get_session
from app.domain.codes import REFERENTIAL_FRAMEWORKS
from app.models import ReferentialMedicine
from app.views.rendering import render

bp = Blueprint("referential", __name__, url_prefix="/referentiel")

STATUSES = REFERENTIAL_FRAMEWORKS
FRESH_FOR = 30.0  # seconds: a public catalogue the agency edits a few times a day; every worker rereads it
_LISTING = sa.select(ReferentialMedicine.__table__).order_by(ReferentialMedicine.name)


class _Listings:
    """The last listings read, per filter, for ``FRESH_FOR`` seconds (bounded; rows are immutable tuples)."""

    def __init__(self, size: int = 64):
        self.size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, tuple[float, list]] = OrderedDict()

    def get(self, status: str) -> list:
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(status)
            if kept and now - kept[0] < FRESH_FOR:
                return kept[1]
        query = _LISTING.where(ReferentialMedicine.status == status) if status else _LISTING
        rows = get_session().execute(query).all()
        with self._lock:
            self._kept[status] = (now, rows)
            self._kept.move_to_end(status)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return rows

    def forget(self) -> None:
        with self._lock:
            self._kept.clear()


listings = _Listings()


@bp.get("/")
def index():
    status = request.args.get("statut", "")
    status = status if status in STATUSES else ""
    return render("referential/index.html", block="results" if request.headers.get("HX-Target") == "resultats"
                  else "content", medicines=listings.get(status), statuses=STATUSES, selected=status)
