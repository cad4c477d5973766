from app.domain.permissions import ANONYMOUS, Actor, HabilitationRef, StructureRef, can

CHU, SITE, OTHER = StructureRef(1), StructureRef(2, parent_id=1), StructureRef(3)


def test_anonymous_can_do_nothing():
    assert not can(ANONYMOUS, "dashboard.view")
    assert not can(ANONYMOUS, "structure.view", CHU)


def test_unknown_action_is_refused():
    assert not can(Actor(national_id="899700000013"), "anything.else")


def test_habilitation_on_ej_covers_its_sites_not_others():
    director = Actor(national_id="3440000016/DIR0001",
                     habilitations=(HabilitationRef(1, "legal_representative"),))
    assert can(director, "structure.manage", CHU) and can(director, "structure.manage", SITE)
    assert not can(director, "structure.manage", OTHER) and not can(director, "structure.view", OTHER)


def test_technical_admin_sees_but_does_not_manage():
    admin = Actor(national_id="581234567600017/TECH0009", habilitations=(HabilitationRef(1, "technical_admin", "ORG"),))
    assert can(admin, "structure.view", CHU) and not can(admin, "structure.manage", CHU)


def test_derived_roles():
    interne = Actor(national_id="899700000047", profession_code="10", profession_category="E")
    assert interne.is_prescriber and "Prescripteur (interne)" in interne.roles()
    pharmacist = Actor(national_id="899700000039", profession_code="21", activity_structure_ids=frozenset({2}),
                       pui_structure_ids=frozenset({2}))
    assert pharmacist.is_hospital_pharmacist and not pharmacist.is_prescriber
    # A pharmacist practising in a structure, but not in its PUI (e.g. an officine), is not one.
    assert not Actor(national_id="899700000039", profession_code="21",
                     activity_structure_ids=frozenset({2})).is_hospital_pharmacist
    assert not Actor(national_id="899700000062", profession_code="21").is_hospital_pharmacist
    nurse = Actor(national_id="899700000054", profession_code="60")
    assert not nurse.is_prescriber


def test_agency_roles_come_only_from_grants():
    operator = Actor(national_id="899700000070", agency_roles=frozenset({"ans_operator"}))
    assert can(operator, "agency.ans") and can(operator, "structure.view", OTHER)
    assert not can(operator, "aac.evaluate") and not can(operator, "structure.manage", OTHER)
    assert can(operator, "structure.follow", OTHER)
