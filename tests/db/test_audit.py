import pytest
import sqlalchemy as sa

from app.models import AuditEvent
from app.operations import audit


def test_chain_links_each_event_to_the_previous(db):
    first = audit.record(db, actor="899700000013", action="test.one", object_type="thing", object_id=1,
                         before=None, after={"state": "draft"})
    second = audit.record(db, actor="899700000013", action="test.two", object_type="thing", object_id=1,
                          before={"state": "draft"}, after={"state": "submitted"})
    assert first.hash == "" and first.id is None  # chained when the transaction commits, not before
    db.commit()
    assert second.prev_hash == first.hash
    assert first.hash != second.hash
    assert audit.verify_chain(db) is None


def test_tampering_is_detected(db):
    audit.record(db, actor="a", action="test.x", object_type="thing", object_id=2, after={"n": 1})
    target = audit.record(db, actor="a", action="test.y", object_type="thing", object_id=2, after={"n": 2})
    audit.record(db, actor="a", action="test.z", object_type="thing", object_id=2, after={"n": 3})
    db.commit()
    # An attacker with table access would first have to lift the append-only trigger (DDL is
    # transactional on both backends, so the test's rollback restores it).
    if db.get_bind().dialect.name == "postgresql":
        db.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
    else:
        db.execute(sa.text("DROP TRIGGER audit_event_no_update"))
    db.execute(sa.text("UPDATE audit_event SET after = :a WHERE id = :id"), {"a": '{"n": 9}', "id": target.id})
    db.expire_all()
    assert audit.verify_chain(db) == target.id


def test_audit_rows_cannot_be_updated_or_deleted(db):
    event = audit.record(db, actor="a", action="test.z", object_type="thing", object_id=3)
    db.commit()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with db.begin_nested():
            db.execute(sa.text("UPDATE audit_event SET actor = 'b' WHERE id = :id"), {"id": event.id})
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with db.begin_nested():
            db.execute(sa.text("DELETE FROM audit_event WHERE id = :id"), {"id": event.id})


def test_a_fork_of_the_chain_is_refused(db):
    event = audit.record(db, actor="a", action="test.fork", object_type="thing", object_id=4)
    db.commit()
    clone = AuditEvent(at=event.at, actor="b", action="test.fork", object_type="thing", object_id="4",
                       prev_hash=event.prev_hash, hash="f" * 64)
    with pytest.raises(sa.exc.IntegrityError):
        with db.begin_nested():
            db.add(clone)
            db.flush()


def test_events_of_a_rolled_back_transaction_are_never_written(db):
    before = db.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
    audit.record(db, actor="a", action="test.lost", object_type="thing", object_id=5)
    db.rollback()
    db.commit()
    assert db.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one() == before


def test_a_login_is_not_delayed_by_a_seal_in_progress(fresh_database):
    """Issue 19 (5): a decision records its event, then seals for seconds; meanwhile a login's event (another
    connection) is chained and committed at once: the chain's lock is taken only at commit, for a moment."""
    import threading

    from app.db import Database
    from app.migrate import upgrade

    url = fresh_database("audit_lock")
    if not url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): SQLite has one writer anyway")
    upgrade(url)
    database = Database(url)
    sealing, sealed = threading.Event(), threading.Event()

    def decision():
        with database.session() as db:
            audit.record(db, actor="evaluateur", action="aac.octroyer", object_type="filing", object_id=1)
            sealing.set()
            sealed.wait(10)  # the HSM seals the decision: no lock every login needs is held meanwhile
            db.commit()

    worker = threading.Thread(target=decision)
    worker.start()
    assert sealing.wait(10)
    with database.session() as db:
        audit.record(db, actor="prescripteur", action="login", object_type="session", object_id="s")
        db.commit()
    sealed.set()
    worker.join(10)
    with database.session() as db:
        # the login was chained first: with the lock taken at record time it would have waited for the seal's
        # end (the decision gives up waiting after 10 s) and come second
        assert [e.action for e in db.exec(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars()] == [
            "login", "aac.octroyer"]
        assert audit.verify_chain(db) is None
    database.engine.dispose()
