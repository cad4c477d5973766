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


def test_existing_products_get_their_indication_when_upgrading_to_0008(fresh_database):
    """A référentiel product from before 0008 keeps its indication and criteria, now as its first indication."""
    import sqlalchemy as sa

    from app.migrate import upgrade

    url = fresh_database("aac_data")
    upgrade(url, "0007")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO referentialmedicine (code, name, dci, pharmaceutical_form, strength, status, "
                             "indication, laboratory, granting_criteria) VALUES ('AAC-0009', 'X', 'x', 'c', '1', "
                             "'AAC', 'Une indication', 'Lab', '[\"c1\", \"c2\"]')"))
    upgrade(url)
    with engine.connect() as conn:
        indications = conn.execute(sa.select(sa.column("indications", sa.JSON))
                                   .select_from(sa.table("referentialmedicine"))).scalar_one()
    engine.dispose()
    assert indications == [{"code": "I1", "label": "Une indication", "status": "en_cours", "criteria": ["c1", "c2"]}]


def test_attachment_files_move_into_the_database_when_upgrading_to_0012(fresh_database, tmp_path, monkeypatch):
    """Issues 19 (1) and 28 (6): the files of the migrating node's folder become rows every node reads; a row whose
    file sits on another node is kept and listed, and ``flask db import-attachments`` there brings it in; the
    downgrade writes every file back."""
    from app.db import Database
    from app.operations.attachments import import_pending

    url = fresh_database("attachments")
    upgrade(url, "0011")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO person (national_id, civility, family_name, given_name, profession_code, "
                             "profession_category, email, created_at) VALUES ('81', '', 'A', 'B', '', '', '', "
                             "CURRENT_TIMESTAMP)"))
        conn.execute(sa.text("INSERT INTO filing (form, state, filer_id, payload, idempotency_key, created_at, "
                             "updated_at) SELECT 'F413', 'brouillon', id, '{}', 'k', CURRENT_TIMESTAMP, "
                             "CURRENT_TIMESTAMP FROM person"))
        for stored_as in ("ici.pdf", "ailleurs.pdf"):
            conn.execute(sa.text("INSERT INTO filing_attachment (filing_id, name, content_type, size, sha256, "
                                 "stored_as, created_at) SELECT id, :n, 'application/pdf', 9, 'x', :n, "
                                 "CURRENT_TIMESTAMP FROM filing"), {"n": stored_as})
    this_node, other_node = tmp_path / "noeud1", tmp_path / "noeud2"
    this_node.mkdir()
    other_node.mkdir()
    (this_node / "ici.pdf").write_bytes(b"%PDF-1.4 ici\n")
    (other_node / "ailleurs.pdf").write_bytes(b"%PDF-1.4 ailleurs\n")
    monkeypatch.setenv("ATTACHMENTS_DIR", str(this_node))
    upgrade(url)

    def contents() -> dict:
        with engine.connect() as conn:
            return {name: bytes(data) if data is not None else None for name, data in conn.execute(sa.text(
                "SELECT a.name, c.data FROM filing_attachment a LEFT JOIN filing_attachment_content c "
                "ON c.attachment_id = a.id"))}

    assert contents() == {"ici.pdf": b"%PDF-1.4 ici\n", "ailleurs.pdf": None}  # kept, not deleted
    database = Database(url)
    with database.session() as db:
        assert import_pending(db, other_node) == (1, 0)  # the other node brings its file in
        db.commit()
    database.engine.dispose()
    assert contents() == {"ici.pdf": b"%PDF-1.4 ici\n", "ailleurs.pdf": b"%PDF-1.4 ailleurs\n"}
    downgrade(url, "0011")
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT name, stored_as FROM filing_attachment")).all())
    engine.dispose()
    assert {name: (this_node / stored[name]).read_bytes() for name in stored} == {
        "ici.pdf": b"%PDF-1.4 ici\n", "ailleurs.pdf": b"%PDF-1.4 ailleurs\n"}  # the downgrade loses nothing
