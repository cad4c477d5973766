"""Migrations go up and down cleanly (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

import sqlalchemy as sa
from sqlmodel import SQLModel

from app.db import make_engine
from app.migrate import current_revision, downgrade, head_revision, upgrade


def _tables(url):
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}, current_revision(engine)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(fresh_database):
    url = fresh_database("migrations")
    upgrade(url)
    tables, revision = _tables(url)
    assert revision == head_revision()
    assert tables == set(SQLModel.metadata.tables)

    downgrade(url, "base")
    tables, revision = _tables(url)
    assert tables == set()
    assert revision is None

    upgrade(url)
    tables, revision = _tables(url)
    assert tables == set(SQLModel.metadata.tables)


def test_models_match_migrations(fresh_database):
    """Autogenerate finds nothing to do: the models and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    url = fresh_database("drift")
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    engine.dispose()
    assert diff == []
