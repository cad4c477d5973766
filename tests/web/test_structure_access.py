"""Who sees a structure's page, built with the factories rather than the demo seed."""

import pytest


@pytest.mark.parametrize("role, status", [("legal_representative", 200), ("mandataire", 200),
                                          ("technical_admin", 200), (None, 403)])
def test_structure_page_follows_the_habilitation(make_structure, make_person, make_habilitation, login_as,
                                                  role, status):
    ej = make_structure(name="Centre hospitalier d’essai")
    site = make_structure(kind="EG", parent=ej, name="Site d’essai")
    person = make_person(profession_code="", category="", national_id="3" + ej.finess + "/ADM0001")
    if role:
        make_habilitation(person, ej, role, "ORG" if role == "technical_admin" else None)
    client = login_as(person)
    for structure in (ej, site):  # a role on the EJ covers its sites
        response = client.get(f"/structures/{structure.id}")
        assert response.status_code == status
    if status == 200:
        assert "Centre hospitalier d’essai" in client.get(f"/structures/{ej.id}").get_data(as_text=True)
    other = make_structure(name="Ailleurs")
    assert client.get(f"/structures/{other.id}").status_code == 403


def test_practising_in_a_structure_opens_its_page_only(make_structure, make_person, login_as):
    mine, other = make_structure(), make_structure()
    client = login_as(make_person(), activities=(mine,))
    assert client.get(f"/structures/{mine.id}").status_code == 200
    assert client.get(f"/structures/{other.id}").status_code == 403


def test_the_structure_page_title_is_its_name(client, db, make_structure, make_person, make_habilitation, login_as):
    structure = make_structure(name="CHU du titre")
    director = make_person(profession_code="")
    make_habilitation(director, structure, "legal_representative")
    page = login_as(director).get(f"/structures/{structure.id}").get_data(as_text=True)
    assert "<title>CHU du titre – Portail santé</title>" in page
    assert page.count("Démarches possibles") == 1
