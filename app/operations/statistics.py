"""The agencies' statistics as monthly counts (``case_stat``), kept by the case-file engine in the transaction that
moves a file: a statistics page reads a few hundred counts whatever the number of files (bench/statistics_pages.py).

Measures: « transmises », « decisions » (bucket: automatique | evaluee), « issues » (octroi | refus | classement),
« refus » (bucket: the legal motive), « delai » (bucket: days from transmission, or deposit, to decision),
« depots », « corrections », « cartes » (commandee | fabriquee), « suivis » (a_temps | en_retard), « effets »
(grave | non_grave)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from app.domain.aac import REFUSAL_REASONS
from app.domain.inputs import parse_int
from app.models import CaseStat

REASON_LABELS = dict(REFUSAL_REASONS)

OFF_REFERENTIAL = "hors-ref"
_AAC_OUTCOMES = {"octroyer_automatiquement": ("automatique", "octroi"), "octroyer": ("evaluee", "octroi"),
                 "refuser": ("evaluee", "refus"), "classer": ("evaluee", "classement")}
_FORM_DECISIONS = {"accepter": "accepte", "refuser": "refuse", "classer_sans_suite": "classe"}


def month_of(at: datetime | date) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def product_of(payload: dict | None) -> str:
    return str(((payload or {}).get("medicament") or {}).get("code") or OFF_REFERENTIAL)[:20]


def add(db, counts: Iterable[tuple[str, str, str, str, str]] | Counter) -> None:
    """Add to the counts (form, product, month, measure, bucket) -> n in one upsert each: two nodes moving files
    at once both count (the row is incremented in place, never read then written)."""
    items = counts.items() if isinstance(counts, Counter) else ((key, 1) for key in counts)
    table = CaseStat.__table__
    bind = db.get_bind() if hasattr(db, "get_bind") else db
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    rows = [dict(zip(("form", "product", "month", "measure", "bucket"), key, strict=True), count=n)
            for key, n in items]
    for row in rows:
        statement = insert(table).values(**row)
        db.execute(statement.on_conflict_do_update(index_elements=list(table.primary_key.columns.keys()),
                                                   set_={"count": table.c.count + statement.excluded.count}))


def facts(form: str, payload: dict | None, verb: str, at: datetime, *, since: datetime | None):
    """What one transition adds to the counts; ``since``: when the file reached the agency (an AAC's
    transmission, a form's deposit), for the delay to a decision."""
    month = month_of(at)
    if form == "AAC":
        product = product_of(payload)
        if verb == "transmettre":
            yield ("AAC", product, month, "transmises", "")
        if verb in _AAC_OUTCOMES:
            kind, outcome = _AAC_OUTCOMES[verb]
            yield ("AAC", product, month, "decisions", kind)
            yield ("AAC", product, month, "issues", outcome)
            if verb == "refuser":
                yield ("AAC", product, month, "refus", str(((payload or {}).get("decision") or {}).get("motif", "")))
            if since is not None:
                yield ("AAC", product, month, "delai", str(max(0, (at - since).days)))
    elif form.startswith("F"):
        if verb == "deposer":
            yield (form, "", month, "depots", "")
        elif verb == "demander_correction":
            yield (form, "", month, "corrections", "")
        elif verb in _FORM_DECISIONS:
            yield (form, "", month, "decisions", _FORM_DECISIONS[verb])
            if since is not None:
                yield (form, "", month, "delai", str(max(0, (at - since).days)))


def on_transition(db, case, verb: str, at: datetime) -> None:
    """The engine's hook: count what this transition means for the statistics, in its transaction."""
    from app.models import CardOrder, FilingEvent

    if isinstance(case, CardOrder):
        if verb == "fabriquer":
            add(db, [(_card_form(db, case), "", month_of(at), "cartes", "fabriquee")])
        return
    since = None
    if case.form == "AAC" and verb in _AAC_OUTCOMES:
        since = db.execute(sa.select(sa.func.max(FilingEvent.at)).where(
            FilingEvent.filing_id == case.id, FilingEvent.verb == "transmettre")).scalar()
    elif case.form.startswith("F") and verb in _FORM_DECISIONS:
        since = case.deposited_at
    since = since.replace(tzinfo=at.tzinfo) if since is not None and since.tzinfo is None else since
    found = list(facts(case.form, case.payload, verb, at, since=since))
    if found:
        add(db, found)


def _card_form(db, order) -> str:
    from app.models import Filing

    filing = db.get(Filing, order.filing_id)
    return filing.form if filing else "F101"


def card_ordered(db, form: str, at: datetime) -> None:
    add(db, [(form, "", month_of(at), "cartes", "commandee")])


def rebuild(bind) -> int:
    """Count every existing file again from its history (migration 0025, ``flask stats rebuild``): the counts are
    a cache of the case files, never the record. Returns the number of counts written."""
    metadata = sa.MetaData()
    filing = sa.Table("filing", metadata, autoload_with=bind)
    event = sa.Table("filing_event", metadata, autoload_with=bind)
    card = sa.Table("card_order", metadata, autoload_with=bind)
    stat = sa.Table("case_stat", metadata, autoload_with=bind)
    if bind.dialect.name == "postgresql":  # transitions meanwhile wait, then count on top of what is read here
        bind.execute(sa.text("LOCK TABLE case_stat IN EXCLUSIVE MODE"))
    counts: Counter = Counter()
    query = (sa.select(filing.c.id, filing.c.form, filing.c.payload, filing.c.deposited_at, event.c.verb, event.c.at)
             .join(event, event.c.filing_id == filing.c.id)
             .where(filing.c.form.in_(["AAC", "F101", "F102", "F201", "F202", "F301", "F413", "F414", "F501", "F502",
                                       "F503", "F504"]))
             .order_by(filing.c.id, event.c.at, event.c.id))
    transmitted: dict[int, datetime] = {}
    for row in bind.execute(query.execution_options(stream_results=True, yield_per=5000)):
        since = transmitted.get(row.id) if row.form == "AAC" else row.deposited_at
        if row.verb == "transmettre":
            transmitted = {row.id: row.at}
        counts.update(facts(row.form, row.payload, row.verb, row.at, since=since))
    for form, at, state in bind.execute(sa.select(filing.c.form, card.c.created_at, card.c.state)
                                        .join(filing, filing.c.id == card.c.filing_id)):
        counts[(form, "", month_of(at), "cartes", "commandee")] += 1
        if state != "commandee":
            counts[(form, "", month_of(at), "cartes", "fabriquee")] += 1
    bind.execute(stat.delete())
    rows = [dict(zip(("form", "product", "month", "measure", "bucket"), key, strict=True), count=n)
            for key, n in counts.items()]
    for start in range(0, len(rows), 5000):
        bind.execute(stat.insert(), rows[start:start + 5000])
    return len(rows)


def percentile(histogram: dict[int, int], share: float) -> int | None:
    """The nearest-rank percentile of a histogram of days -> files (exact: delays are counted by the day)."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = max(1, -(-int(total * share * 1000) // 1000)), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def read(db, forms: tuple[str, ...], product: str | None, months: list[str]) -> dict[str, dict[str, dict[str, int]]]:
    """measure -> month -> bucket -> count, for these forms (and one product, or all when ``product`` is None)."""
    query = (sa.select(CaseStat.month, CaseStat.measure, CaseStat.bucket, sa.func.sum(CaseStat.count))
             .where(CaseStat.form.in_(forms), CaseStat.month >= months[0], CaseStat.month <= months[-1])
             .group_by(CaseStat.month, CaseStat.measure, CaseStat.bucket))
    if product is not None:
        query = query.where(CaseStat.product == product)
    found: dict = defaultdict(lambda: defaultdict(dict))
    for month, measure, bucket, total in db.execute(query):
        found[measure][month][bucket] = int(total)
    return found


def last_months(today: date, count: int = 12) -> list[str]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _series(found: dict, measure: str, months: list[str], bucket: str | None = None) -> list[int]:
    return [sum(n for b, n in found.get(measure, {}).get(m, {}).items() if bucket is None or b == bucket)
            for m in months]


def _delays(found: dict, months: list[str]) -> tuple[list, list, dict[int, int]]:
    medians, p90s, overall = [], [], Counter()
    for m in months:
        days = {parse_int(b, high=100_000): n for b, n in found.get("delai", {}).get(m, {}).items()}
        histogram = {d: n for d, n in days.items() if d is not None}
        overall.update(histogram)
        medians.append(percentile(histogram, 0.5))
        p90s.append(percentile(histogram, 0.9))
    return medians, p90s, dict(overall)


@dataclass(frozen=True)
class Indicator:
    """One chart and its table: a title, the months, one or more series (label, values), a unit."""

    key: str
    title: str
    series: tuple[tuple[str, tuple], ...]
    unit: str = ""
    note: str = ""


def agency_view(db, form: str, product: str | None, months: list[str]) -> list[Indicator]:
    """The ANSM's indicators for one product (or all), or the ANS's for one form, month by month."""
    found = read(db, ("AAC", "CPC") if form == "AAC" else (form,), product, months)
    medians, p90s, overall = _delays(found, months)
    delay_note = (f"Sur la période\u00a0: médiane {percentile(overall, 0.5)} jours, 90e centile "
                  f"{percentile(overall, 0.9)} "
                  f"jours ({sum(overall.values())} décisions)." if overall else "Aucune décision sur la période.")
    if form == "AAC":
        granted, refused = _series(found, "issues", months, "octroi"), _series(found, "issues", months, "refus")
        rates = tuple(round(100 * g / (g + r)) if g + r else None for g, r in zip(granted, refused, strict=True))
        reasons = Counter()
        for m in months:
            reasons.update(found.get("refus", {}).get(m, {}))
        return [
            Indicator("demandes", "Demandes transmises à l’ANSM", (("Demandes", tuple(_series(found, "transmises",
                                                                                             months))),)),
            Indicator("decisions", "Décisions automatiques et évaluées", (
                ("Automatiques", tuple(_series(found, "decisions", months, "automatique"))),
                ("Évaluées", tuple(_series(found, "decisions", months, "evaluee"))))),
            Indicator("issues", "Octrois et refus", (("Octrois", tuple(granted)), ("Refus", tuple(refused)),
                                                     ("Octroi (%)", rates)),
                      note="; ".join(f"{REASON_LABELS.get(k, k or 'motif non précisé')}\u00a0: {n}"
                                     for k, n in reasons.most_common()) or "Aucun refus sur la période."),
            Indicator("delais", "Délai de la transmission à la décision", (("Médiane", tuple(medians)),
                                                                           ("90e centile", tuple(p90s))),
                      unit="jours", note=delay_note),
            Indicator("inscriptions", "Patients inscrits dans un CPC", (
                ("Inscriptions", tuple(_series(found, "inscriptions", months))),)),
            Indicator("suivis", "Fiches de suivi à temps et en retard", (
                ("À temps", tuple(_series(found, "suivis", months, "a_temps"))),
                ("En retard", tuple(_series(found, "suivis", months, "en_retard"))))),
            Indicator("effets", "Effets indésirables déclarés", (
                ("Graves", tuple(_series(found, "effets", months, "grave"))),
                ("Non graves", tuple(_series(found, "effets", months, "non_grave"))))),
        ]
    return [
        Indicator("depots", "Dépôts", (("Dépôts", tuple(_series(found, "depots", months))),)),
        Indicator("delais", "Délai du dépôt à la décision", (("Médiane", tuple(medians)),
                                                             ("90e centile", tuple(p90s))), unit="jours",
                  note=delay_note),
        Indicator("corrections", "Corrections demandées", (("Corrections", tuple(_series(found, "corrections",
                                                                                        months))),)),
        Indicator("cartes", "Cartes commandées et fabriquées", (
            ("Commandées", tuple(_series(found, "cartes", months, "commandee"))),
            ("Fabriquées", tuple(_series(found, "cartes", months, "fabriquee"))))),
    ]

