"""An export streams from a server-side cursor whatever the session: a read request's session on PostgreSQL runs
without a transaction (autocommit), where such a cursor cannot be declared (issue 32: the laboratory's export and
the AAC extract answered nothing under gunicorn on PostgreSQL)."""

import sqlalchemy as sa

from app.db import Database, streamed


def test_rows_stream_by_batches_from_a_reading_session_and_from_a_writing_one(fresh_database):
    database = Database(fresh_database("streamed"))
    numbers = sa.text("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2500) "
                      "SELECT x FROM n")
    for reads_only in (True, False):
        with database.session(reads_only=reads_only) as session:
            batches = [len(batch) for batch in streamed(session, numbers, 1000)]
        assert batches == [1000, 1000, 500], reads_only
    database.engine.dispose()
