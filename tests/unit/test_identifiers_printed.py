"""Issue 31 (minor): an RPPS or an ADELI typed as printed (without the type prefix the portal's ids carry) is read,
and the page says which it was read as."""

from __future__ import annotations

import pytest
from stdnum import luhn

from app.domain.forms.schema import Field, shown_value
from app.domain.identifiers import InvalidIdentifier, parse_national_id

RPPS = "1000123456" + luhn.calc_check_digit("1000123456")


@pytest.mark.parametrize(("typed", "read"), [
    (RPPS, "8" + RPPS), ("8" + RPPS, "8" + RPPS), ("10 00 12 34 56 5", "8" + RPPS),
    ("751234567", "0751234567"), ("0751234567", "0751234567"), ("2A1234567", "02A1234567")])
def test_printed_and_prefixed_forms_read_alike(typed, read):
    assert str(parse_national_id(typed)) == read


def test_a_printed_rpps_with_a_wrong_key_is_refused_as_such():
    with pytest.raises(InvalidIdentifier, match="clé de contrôle"):
        parse_national_id(RPPS[:-1] + str((int(RPPS[-1]) + 1) % 10))


def test_the_answer_says_what_was_read():
    field = Field("identifiant", "Identifiant national (carte)", "national_id")
    assert shown_value(field, "8" + RPPS) == f"8{RPPS} (RPPS {RPPS})"
    assert shown_value(field, "0751234567") == "0751234567 (ADELI 751234567)"
    assert shown_value(field, "3440000016/ADM0007") == "3440000016/ADM0007"
