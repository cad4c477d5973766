import pytest
import sqlalchemy as sa

from app.models import AuditEvent
from app.operations import audit


def test_chain_links_each_event_to_the_previous(db):
    first = audit.record(db, actor="899700000013", action="test.one", object_type="thing", object_id=1,
                         before=None, after={"state": "draft"})
    second = audit.record(db, actor="899700000013", action="test.two", object_type="thing", object_id=1,
                          before={"state": "draft"}, after={"state": "submitted"})
    assert second.prev_hash == first.hash
    assert first.hash != second.hash
    assert audit.verify_chain(db) is None


def test_tampering_is_detected(db):
    audit.record(db, actor="a", action="test.x", object_type="thing", object_id=2, after={"n": 1})
    target = audit.record(db, actor="a", action="test.y", object_type="thing", object_id=2, after={"n": 2})
    audit.record(db, actor="a", action="test.z", object_type="thing", object_id=2, after={"n": 3})
    db.flush()
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
