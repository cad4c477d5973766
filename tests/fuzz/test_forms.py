"""Issue 19 (7, 8): generated posts to the forms' steps and autosave never answer 5xx, and a draft never holds
more than its form allows (rows, value lengths), whatever the keys, indexes and values sent.

FUZZ_EXAMPLES sets the number of generated posts per test (``make test``: a few hundred; the issue's
10,000-input run: ``FUZZ_EXAMPLES=2500``)."""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.forms import FORMS
from app.domain.forms.schema import limit
from app.models import Filing
from tests.forms.test_walks import start

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

NASTY = st.sampled_from(["¹", "²", "০", "٣", "\x00", "a\x00b", "2147483648", "9" * 25, "-1", "", " ", "0",
                         "rows-1000000-nom", "x" * 250_000, "<script>", "’«»", "\ud7ff", "1e9"])
TEXT = st.one_of(NASTY, st.text(max_size=40))
INDEX = st.one_of(st.integers(min_value=0, max_value=40).map(str), NASTY)


def _keys(spec):
    names = [f.name for s in spec.steps for f in s.fields]
    plain = st.sampled_from(names + ["rows", "_supprimer", "_ajouter", "_precedent", "_joindre", "_step", "_name"])
    row = st.builds(lambda i, n: f"rows-{i}-{n}", INDEX, st.sampled_from(names))
    return st.one_of(plain, row, TEXT)


def _posts(spec):
    return st.tuples(st.sampled_from([s.name for s in spec.steps] + ["inconnue", "²"]),
                     st.dictionaries(_keys(spec), TEXT, max_size=12))


def _bounded(filing: Filing, spec) -> None:
    assert len(json.dumps(filing.payload)) < 300_000
    for step in spec.steps:
        data = filing.payload.get(step.name)
        if data is None:
            continue
        rows = data if step.repeated else [data]
        assert len(rows) <= max(step.max_rows, 1), (step.name, len(rows))
        fields = {f.name: f for f in step.fields}
        for row in rows:
            assert set(row) <= set(fields), set(row) - set(fields)
            for name, value in row.items():
                if isinstance(value, str):
                    assert len(value) <= limit(fields[name]) + 1, (name, len(value))


def _fuzz(browser, db, filing_id: int, form: str):
    spec = FORMS[form]

    @FUZZ
    @given(_posts(spec))
    def run(post):
        step, data = post
        answers = [browser.post(f"/demarches/{filing_id}/etapes/{step}", data),
                   browser.post(f"/demarches/{filing_id}/champ", {"_step": step, "_name": next(iter(data), ""),
                                                                  **data})]
        for answer in answers:
            assert answer.status_code < 500, answer.get_data(as_text=True)[:500]
        filing = db.get(Filing, filing_id)
        db.refresh(filing)
        _bounded(filing, spec)

    run()


def test_f301_steps_and_autosave_hold_their_bounds(db, world, as_person):
    browser = as_person(world["director"])
    _fuzz(browser, db, start(browser, "F301", world["hospital"]), "F301")


def test_f413_steps_and_autosave_hold_their_bounds(db, world, as_person):
    browser = as_person(world["mandataire"])
    _fuzz(browser, db, start(browser, "F413", world["hospital"]), "F413")
