"""Reference numbers are gap-free per form and year and unique under concurrency: many deposits racing in
real concurrent transactions (PostgreSQL when TEST_DATABASE_URL is set, else SQLite), one rolled back."""

from __future__ import annotations

import threading

import pytest

from app.db import Database
from app.migrate import upgrade
from app.operations.casefiles import next_reference


@pytest.fixture()
def database(fresh_database):
    url = fresh_database("references")
    upgrade(url)
    database = Database(url)
    yield database
    database.engine.dispose()


def test_concurrent_numbers_are_unique_and_gap_free_even_with_a_rollback(database):
    given, errors = [], []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def take(i: int):
        try:
            start.wait(10)
            with database.session() as db:
                if db.get_bind().dialect.name == "sqlite":
                    db.connection().exec_driver_sql("SELECT 1")  # the deferred BEGIN, then the write lock waits
                reference = next_reference(db, "F413", 2026)
                if i == 3:
                    db.rollback()  # a deposit that failed later: its number is given again, no gap
                    return
                db.commit()
                with lock:
                    given.append(reference)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sorted(given) == [f"F413-2026-{n:06d}" for n in range(1, 8)]
    with database.session() as db:
        assert next_reference(db, "F413", 2026) == "F413-2026-000008"
        assert next_reference(db, "F301", 2026) == "F301-2026-000001"
        assert next_reference(db, "F413", 2027) == "F413-2027-000001"
