"""Public catalogue: référentiel des spécialités en accès dérogatoire (AAC, AAP, CPC)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, render_template, request, url_for
from jinja2_fragments.flask import render_block
from markupsafe import Markup
from sqlmodel import select

from app.db import get_session
from app.domain.codes import REFERENTIAL_FRAMEWORKS
from app.domain.inputs import parse_int
from app.models import ReferentialMedicine
from app.web.refusals import on_refusal
from app.web.rendering import render, success, wants_block
from app.web.security import requires

bp = Blueprint("referential", __name__, url_prefix="/referentiel")

STATUSES = REFERENTIAL_FRAMEWORKS
FRESH_FOR = 30.0  # seconds: a public catalogue the agency edits a few times a day; every worker rereads it
_LISTING = sa.select(ReferentialMedicine.__table__).order_by(ReferentialMedicine.name)


class _Listings:
    """The last listings read, per filter, for ``FRESH_FOR`` seconds (bounded; rows are immutable tuples), and
    the catalogue's HTML rendered from them, per filter and page, for as long as those listings are kept."""

    def __init__(self, size: int = 64, pages: int = 256):
        self.size, self.pages = size, pages
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, tuple[float, list]] = OrderedDict()
        self._rendered: OrderedDict[tuple, Markup] = OrderedDict()

    def get(self, status: str) -> list:
        return self._entry(status)[1]

    def _entry(self, status: str) -> tuple[float, list]:
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(status)
            if kept and now - kept[0] < FRESH_FOR:
                return kept
        query = _LISTING.where(ReferentialMedicine.status == status) if status else _LISTING
        kept = (now, get_session().execute(query).all())
        self._remember(self._kept, status, kept, self.size)
        return kept

    def page(self, key: tuple, statuses: tuple[str, ...], build) -> Markup:
        """``build()``'s HTML for ``key``, built again as soon as one of the listings it shows was reread."""
        key = (key, tuple(self._entry(status)[0] for status in statuses))
        with self._lock:
            if key in self._rendered:
                self._rendered.move_to_end(key)
                return self._rendered[key]
        html = build()
        self._remember(self._rendered, key, html, self.pages)
        return html

    def _remember(self, kept: OrderedDict, key, value, size: int) -> None:
        """Keep ``value`` as the newest entry, forgetting the oldest beyond ``size``."""
        with self._lock:
            kept[key] = value
            kept.move_to_end(key)
            while len(kept) > size:
                kept.popitem(last=False)

    def forget(self) -> None:
        with self._lock:
            self._kept.clear()
            self._rendered.clear()


listings = _Listings()


PAGE = 10  # cards with their criteria: ten fill a phone screen several times over
PHASES = {"en_cours": "En cours", "termine": "Terminé"}


def _matches(row, text: str) -> bool:
    haystack = " ".join([row.name, row.dci, row.laboratory, row.indication,
                         *(i.get("label", "") for i in row.indications or [])]).lower()
    return all(word in haystack for word in text.lower().split())


@bp.get("/")
def index():
    """Search as you type (htmx) or by a plain GET form: words over name, DCI, laboratory and indications;
    filters by framework, phase and therapeutic area; 10 a page. The listing is the per-worker cached one."""
    args, today = request.args, date.today()
    status = args.get("statut", "") if args.get("statut", "") in STATUSES else ""
    rows = listings.get(status)
    text = args.get("q", "").strip()[:100]
    if text:
        rows = [r for r in rows if _matches(r, text)]
    phase = args.get("etat", "") if args.get("etat", "") in PHASES else ""
    if phase:
        rows = [r for r in rows if (r.ended_on is not None and r.ended_on <= today) == (phase == "termine")]
    areas = sorted({r.therapeutic_area for r in listings.get("") if r.therapeutic_area})
    area = args.get("domaine", "") if args.get("domaine", "") in areas else ""
    if area:
        rows = [r for r in rows if r.therapeutic_area == area]
    page = parse_int(args.get("page", ""), low=1, high=100_000) or 1
    shown = rows[(page - 1) * PAGE: page * PAGE]
    filters = {"q": text, "statut": status, "etat": phase, "domaine": area}
    part = "results" if wants_block() and request.headers.get("HX-Target") == "resultats" else "content"
    context = dict(medicines=shown, total=len(rows), page=page, pages=max(1, -(-len(rows) // PAGE)),
                   statuses=STATUSES, phases=PHASES, areas=areas, filters=filters, selected=status, today=today,
                   oob_count=part == "results")
    pages = context["pages"]
    context["counted"] = (f"{len(rows)} spécialité{'s' if len(rows) > 1 else ''}"
                          + (f" – page {page} sur {pages}" if pages > 1 else ""))
    # The same for every visitor (no token, no name): rendered once per filter while its listings are kept.
    catalogue = listings.page((part, status, text, phase, area, page, today, request.script_root), (status, ""),
                              lambda: _catalogue(part, context))
    return render("referential/index.html", block=part, catalogue=catalogue)


def _catalogue(part: str, context: dict) -> Markup:
    template = "referential/_catalogue.html"
    html = render_block(template, "results", **context) if part == "results" else render_template(template, **context)
    return Markup(html)  # noqa: S704 - a rendered, autoescaped template


@bp.get("/<code>")
def product(code: str):
    """A product's sheet: indications with their criteria, conditions, duration, laboratory, reports, end."""
    medicine = get_session().exec(select(ReferentialMedicine).where(ReferentialMedicine.code == code)).first()
    if medicine is None:
        abort(404)
    from app.operations.follow_up import protocol_of

    today = date.today()
    return render("referential/product.html", m=medicine, statuses=STATUSES, open=medicine.open_to_aac(today),
                  protocol=protocol_of(medicine), cpc_open=medicine.status == "CPC" and (
                      medicine.cpc_until is None or medicine.cpc_until >= today), needs_csrf=True)


def _product_or_404(code: str) -> ReferentialMedicine:
    medicine = get_session().exec(select(ReferentialMedicine).where(ReferentialMedicine.code == code)).first()
    if medicine is None:
        abort(404)
    return medicine


@bp.route("/nouveau", methods=["GET", "POST"])
@requires("aac.evaluate")
def create():
    return _edit(None)


@bp.route("/<code>/modifier", methods=["GET", "POST"])
@requires("aac.evaluate")
def edit(code: str):
    return _edit(_product_or_404(code))


def _edit(existing: ReferentialMedicine | None):
    from app.operations.referential import format_indications, protocol_values, save_product

    values = dict(request.form) | {"delegues": request.form.getlist("delegues")} if request.method == "POST" else (
        existing.model_dump(mode="json") | {"indications": format_indications(existing.indications)}
        | protocol_values(existing)
        if existing else {"status": "AAC", "max_days": "365", "suivi_mois": "3", "rapport_mois": "6",
                          "effets_vers": "crpv", "delegues": []})
    on_refusal(lambda refusal: render("referential/edit.html", existing=existing, values=values,
                                      errors=refusal.errors, statuses=STATUSES), *([existing] if existing else []))
    if request.method == "POST":
        product = save_product(get_session(), request.form, actor=g.actor.national_id, existing=existing)
        listings.forget()  # this worker at once; the others within FRESH_FOR seconds
        flash("Fiche enregistrée.", "success")
        return success(url_for("referential.product", code=product.code))
    return render("referential/edit.html", existing=existing, values=values, errors={}, statuses=STATUSES)
