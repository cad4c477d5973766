"""Code sets: one table per set, labels in French, badges only from the DSFR's list."""

import pytest

from app.domain import codes

SETS = [value for value in vars(codes).values() if isinstance(value, codes.CodeSet)]


@pytest.mark.parametrize("code_set", SETS, ids=lambda s: s.name)
def test_every_code_has_a_french_label_and_a_dsfr_badge(code_set):
    assert len(code_set) > 0
    for code in code_set:
        assert code_set[code] and code_set[code] != code
        assert code_set.badge(code) in {"success", "error", "warning", "info", "new"}


def test_a_code_set_reads_like_a_dict():
    assert codes.HABILITATION_ROLES["mandataire"] == "Mandataire"
    assert codes.PROFESSIONS.get("99") is None and codes.PROFESSIONS.get("99", "?") == "?"
    assert "CPS" in codes.CARD_TYPES and list(codes.AGENCY_ROLES) == ["ans_operator", "ansm_evaluator", "laboratory",
                                                                               "crpv"]
    assert dict(codes.REFERENTIAL_FRAMEWORKS.items())["AAP"] == "Accès précoce"
