"""What the templates share: the layout's helpers, computed once per process where they do not depend on the
request, and cheap helpers for what a table repeats on every row (badges, dates, links)."""

from __future__ import annotations

import functools
from urllib.parse import quote

from flask import Flask, g, request, url_for
from markupsafe import Markup, escape

from app.domain.clock import for_people, fr_date, paris
from app.domain.codes import CodeSet, lowered
from app.domain.forms.schema import shown as shown_fields
from app.operations.login import IDLE_TIMEOUT
from app.web.fields import filing_answers, form_field, step_answers, step_fields, step_rows

NAVIGATION = (  # endpoint, label, action the actor must be allowed (None: public)
    ("main.home", "Accueil", None),
    ("dashboard.index", "Tableau de bord", "dashboard.view"),
    ("filings.index", "Mes démarches", "dashboard.view"),
    ("certificates.index", "Mes certificats", "certificate.order"),
    ("aac.index", "Accès compassionnel", "aac.menu"),
    ("backoffice.queue", "Instruction", "agency.ans"),
    ("laboratory.index", "Mes produits", "aac.laboratory_inbox"),
    ("follow_up.vigilance", "Pharmacovigilance", "vigilance.read"),
    ("laboratory.reports_queue", "Rapports de synthèse", "report.evaluate"),
    ("statistics.ansm", "Statistiques", "statistics.ansm"),
    ("statistics.ans", "Statistiques", "statistics.ans"),
    ("referential.index", "Référentiel des spécialités", None),
)


def badge(text, kind: str = "info") -> Markup:
    """A small DSFR badge; a function rather than a macro because tables call it on every row (a third the cost)."""
    return Markup(f'<p class="fr-badge fr-badge--sm fr-badge--{escape(kind)}">{escape(text)}</p>')  # noqa: S704 - both values escaped


@functools.cache
def code_badge(codes: CodeSet, code: str, text: str | None = None) -> Markup:
    """The badge of a code (a filing's state, a card's): its label (or ``text``) in its colour, built once."""
    return badge(codes[code] if text is None else text, codes.badge(code))


_MARKS = (987654321012345, 987654321012346, 987654321012347)


def register(app: Flask) -> None:
    """What every page's layout needs, computed once per process where it does not depend on the request."""
    from app.domain.permissions import ANONYMOUS, can
    from app.web import assets

    assets.register(app)
    page_urls: dict[tuple[str, str], str] = {}

    def page_url(endpoint: str) -> str:
        """url_for of a page without arguments, built once per mount point."""
        key = (endpoint, request.script_root)
        if key not in page_urls:
            page_urls[key] = url_for(endpoint)
        return page_urls[key]

    id_patterns: dict[tuple, str] = {}

    def id_url(endpoint: str, **ids: int | str) -> str:
        """url_for of a page addressed by ids and simple path segments (a table's rows, a step's name): the URL
        built once per endpoint and mount point, then the values put in place (strings quoted)."""
        if len(ids) > len(_MARKS) or any(type(value) not in (int, str) for value in ids.values()):
            return url_for(endpoint, **ids)
        key = (endpoint, request.script_root, *ids)
        if key not in id_patterns:
            id_patterns[key] = url_for(endpoint, **dict(zip(ids, _MARKS, strict=False)))
        url = id_patterns[key]
        for mark, value in zip(_MARKS, ids.values(), strict=False):
            url = url.replace(str(mark), quote(value, safe="") if type(value) is str else str(value))
        return url

    def queue_rows(rows, states: CodeSet, blocked: dict, endpoint: str, today=None) -> Markup:
        """A back-office queue's rows (reference, structure, state, deposit date and days waiting, the agent, the
        unread messages): 25 rows a page, rendered here at a third of a Jinja loop's cost."""
        cells = []
        mark = str(_MARKS[0])
        pattern = id_url(endpoint, filing_id=_MARKS[0])
        for row in rows:
            why = blocked.get(row.id)
            warning = (f'<p class="fr-badge fr-badge--sm fr-badge--warning fr-mt-1v fr-mb-0" title="{escape(why)}">'
                       "Vous ne pouvez pas instruire ce dossier</p>") if why else ""
            waited = ""
            if row.deposited_at and today is not None:
                days = (today - row.deposited_at.date()).days
                said = "aujourd’hui" if days < 1 else f'{days}\u00a0jour{"s" if days > 1 else ""}'
                waited = f'<br><span class="fr-text--xs">{said}</span>'
            unread = getattr(row, "unread", 0)
            plural = "s" if unread > 1 else ""
            news = ('<p class="fr-mt-1v fr-mb-0"><span class="fr-badge fr-badge--sm fr-badge--new">'
                    f"{unread}\u00a0message{plural} non lu{plural}</span></p>") if unread else ""
            link = pattern.replace(mark, str(row.id))
            deposited = fr_date(row.deposited_at) if row.deposited_at else ""
            cells.append(f'<tr><td data-label="Dossier"><a class="portal-nowrap-ref" href="{link}">'
                         f"{escape(row.reference)}</a>"
                         f'{warning}{news}</td><td data-label="Structure">{escape(row.name)}</td>'
                         f'<td data-label="État">{code_badge(states, row.state)}</td>'
                         f'<td data-label="Déposé le">{deposited}{waited}</td>'
                         f'<td data-label="Agent">{escape(getattr(row, "assignee", None) or "—")}</td></tr>')
        return Markup("".join(cells))  # noqa: S704 - every value escaped

    def has_endpoint(name: str) -> bool:
        return name in app.view_functions

    menus: dict[tuple, Markup] = {}
    entries = [entry for entry in NAVIGATION if entry[0] in app.view_functions]

    def main_navigation() -> Markup:
        """The menu's items the actor may open, the current page marked; built once per combination."""
        actor = g.get("actor", ANONYMOUS)
        allowed = tuple(action is None or can(actor, action) for _, _, action in entries)
        key = (request.script_root, request.endpoint, allowed)
        if key not in menus:
            current = ' aria-current="page"'
            menus[key] = Markup("".join(  # noqa: S704 - escaped URL and label
                f'<li class="fr-nav__item"><a class="fr-nav__link" href="{escape(page_url(endpoint))}"'
                f'{current if endpoint == request.endpoint else ""}>{escape(label)}</a></li>'
                for (endpoint, label, _), shown in zip(entries, allowed, strict=True) if shown))
        return menus[key]

    # DSFR macros as a global `ui`: block-only renders (htmx) do not see template-level imports.
    app.jinja_env.filters["fr_date"] = fr_date
    app.jinja_env.filters["lowered"] = lowered
    app.jinja_env.filters["fr_count"] = lambda n: f"{n:,}".replace(",", "\u00a0")  # 5 000, never 5,000
    app.jinja_env.filters["fr_datetime"] = lambda moment: f"{paris(moment):%d/%m/%Y %H:%M}" if moment else ""
    app.jinja_env.globals.update(page_url=page_url, has_endpoint=has_endpoint, main_navigation=main_navigation,
                                 badge=badge, code_badge=code_badge, id_url=id_url, form_field=form_field,
                                 step_fields=step_fields, step_rows=step_rows, shown_fields=shown_fields,
                                 step_answers=step_answers, queue_rows=queue_rows, filing_answers=filing_answers,
                                 for_people=for_people,
                                 idle_seconds=int(IDLE_TIMEOUT.total_seconds()))
    # The macros' module sees the globals present when it is made: after the helpers above.
    app.jinja_env.globals["ui"] = app.jinja_env.get_template("components/_dsfr.html").module

    @app.context_processor
    def _helpers():
        return {"current_actor": g.get("actor")}
