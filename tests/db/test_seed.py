import pytest
from sqlmodel import func, select

from app.models import AgencyRole, Habilitation, Person, Structure
from app.operations import audit
from app.operations.roles import RoleError, grant_role
from seeds import data
from seeds.loader import load


def test_seed_loads_everything_once(db):
    first = load(db)
    assert first["Structure"] == len(data.STRUCTURES)
    assert first["Person"] == len(data.IDENTITIES)
    again = load(db)
    assert sum(again.values()) == 0
    assert db.exec(select(func.count()).select_from(Person)).one() == len(data.IDENTITIES)
    site = db.exec(select(Structure).where(Structure.finess == "440000024")).one()
    parent = db.get(Structure, site.parent_id)
    assert parent.finess == "440000016" and parent.kind == "EJ"
    admin = db.exec(select(Person).where(Person.national_id == "581234567600017/TECH0009")).one()
    habs = db.exec(select(Habilitation).where(Habilitation.person_id == admin.id)).all()
    assert len(habs) == 3 and {h.certificate_family for h in habs} == {"ORG", "SERV"}
    assert db.exec(select(AgencyRole).where(AgencyRole.role == "ansm_evaluator")).first() is not None
    assert audit.verify_chain(db) is None


def test_grant_role_is_idempotent_and_validated(db):
    grant, created = grant_role(db, "899700000013", "ans_operator", granted_by="test")
    assert created
    _, created_again = grant_role(db, "899700000013", "ans_operator", granted_by="test")
    assert not created_again
    with pytest.raises(RoleError, match="Rôle inconnu"):
        grant_role(db, "899700000013", "superuser", granted_by="test")
    with pytest.raises(ValueError, match="RPPS est invalide"):
        grant_role(db, "899700000014", "ans_operator", granted_by="test")


def test_one_declared_domain_is_left_to_prove(db):
    """Issue 29 (7): the demonstration declares esl-demo.example for the publisher without a proof, so a new user
    walks « Mes domaines » for real; esl-sante.example stays proven for the certificate journeys."""
    from sqlmodel import select

    from app.models import DomainControl, ServDomain
    from seeds.loader import load

    load(db)
    declared = set(db.exec(select(ServDomain.name)).all())
    proven = set(db.exec(select(DomainControl.name).where(DomainControl.validated_at.is_not(None))).all())
    assert {"esl-sante.example", "esl-demo.example"} <= declared
    assert "esl-sante.example" in proven and "esl-demo.example" not in proven
