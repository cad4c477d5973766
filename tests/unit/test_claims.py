import pytest

from app.psc.claims import identity_from_userinfo
from app.psc.identity import IdentityError
from psc_sandbox.identities import find, psc_claims


def test_sandbox_claims_map_to_identity():
    identity = identity_from_userinfo(psc_claims(find("899700000021"), "MOBILE"))
    assert identity.national_id == "899700000021"
    assert (identity.given_name, identity.family_name, identity.civility) == ("KIT", "DOC0002", "DR")
    assert identity.auth_method == "psc-mobile"
    assert identity.profession_code == "10"
    assert {a.finess_site for a in identity.activities} == {"440000032", "690000021"}
    assert {a.finess_legal for a in identity.activities} == {"440000016", "690000013"}
    assert identity.other_ids == ("99700000021",)


def test_psc_shapes_are_tolerated():
    claims = {
        "preferred_username": "899700000013",
        "SubjectNameID": "",
        "family_name": "",
        "given_name": "",
        "subjectrefpro": {"codeCivilite": "", "exercices": [{
            "codeProfession": "10", "codeCategorieProfessionnelle": "C", "codeCiviliteDexercice": "DR",
            "nomDexercice": "DOC0001", "prenomDexercice": "KIT", "codeSavoirFaire": "",
            "activities": {"numeroFinessSite": "440000024", "numeroSiretSite": "", "raisonSocialeSite": "Nord"},
        }]},
        "OTHERIDS": [{"identifiant": "99700000013", "origine": "RPPS"}, ""],
        "SubjectRole": "10_C",
        "authMode": "card",
    }
    identity = identity_from_userinfo(claims)
    assert identity.national_id == "899700000013"
    assert (identity.family_name, identity.given_name, identity.civility) == ("DOC0001", "KIT", "DR")
    assert identity.auth_method == "psc-card"
    assert identity.activities[0].finess_site == "440000024" and identity.activities[0].siret_site == ""
    assert identity.other_ids == ("99700000013",)
    assert identity.subject_roles == ("10_C",)


def test_staff_identity_without_exercises():
    identity = identity_from_userinfo({"SubjectNameID": "3440000016/DIR0001", "family_name": "DIRECTEUR0006",
                                       "given_name": "KIT", "SubjectRefPro": {"exercices": []}})
    assert identity.national_id == "3440000016/DIR0001" and identity.activities == ()
    assert identity.profession_code == ""


@pytest.mark.parametrize("claims, message", [
    ({"family_name": "X"}, "SubjectNameID"),
    ({"SubjectNameID": "", "preferred_username": "", "family_name": "X"}, "SubjectNameID"),
    ({"SubjectNameID": "899700000012", "family_name": "X"}, "invalide"),
    ({"SubjectNameID": "899700000013"}, "nom"),
])
def test_unusable_claims_are_refused(claims, message):
    with pytest.raises(IdentityError, match=message):
        identity_from_userinfo(claims)
