import pytest

from app.domain.identifiers import (
    InvalidIdentifier,
    NationalId,
    parse_national_id,
    structure_national_id,
    validate_adeli,
    validate_finess,
    validate_rpps,
    validate_siren,
    validate_siret,
)


@pytest.mark.parametrize("value", ["99700000013", "997 000 000 13", "10000000009"])
def test_valid_rpps(value):
    assert validate_rpps(value) == value.replace(" ", "")


@pytest.mark.parametrize("value, message", [
    ("99700000012", "clé de contrôle"),
    ("9970000001", "11 chiffres"),
    ("9970000001A", "11 chiffres"),
    ("", "11 chiffres"),
])
def test_invalid_rpps(value, message):
    with pytest.raises(InvalidIdentifier, match=message):
        validate_rpps(value)


@pytest.mark.parametrize("value", ["440000016", "690000013", "2A0000016", "350000014"])
def test_valid_finess(value):
    assert validate_finess(value) == value


@pytest.mark.parametrize("value, message", [
    ("440000017", "clé de contrôle"),
    ("2A0000017", "clé de contrôle"),
    ("2C0000016", "9 caractères"),
    ("44000001", "9 caractères"),
])
def test_invalid_finess(value, message):
    with pytest.raises(InvalidIdentifier, match=message):
        validate_finess(value)


def test_corsica_finess_key_is_computed_with_20():
    # 2A0000016 and 200000016 share their key: 2A reads as 20.
    assert validate_finess("200000016") == "200000016"
    assert validate_finess("2B0000016") == "2B0000016"


def test_siret_and_siren():
    assert validate_siret("812 345 676 00017") == "81234567600017"
    assert validate_siren("812345676") == "812345676"
    with pytest.raises(InvalidIdentifier, match="clé de contrôle"):
        validate_siret("81234567600018")
    with pytest.raises(InvalidIdentifier, match="14 chiffres"):
        validate_siret("8123456760001")
    with pytest.raises(InvalidIdentifier, match="clé de contrôle"):
        validate_siren("812345677")


def test_adeli():
    assert validate_adeli("751234567") == "751234567"
    assert validate_adeli("2A1234567") == "2A1234567"
    with pytest.raises(InvalidIdentifier):
        validate_adeli("75123456")


@pytest.mark.parametrize("value, expected", [
    ("899700000013", NationalId("8", "99700000013")),
    ("0751234567", NationalId("0", "751234567")),
    ("3440000016/DIR0001", NationalId("3", "440000016", "DIR0001")),
    ("3440000016DIR0001", NationalId("3", "440000016", "DIR0001")),
    ("581234567600017/TECH0009", NationalId("5", "81234567600017", "TECH0009")),
])
def test_parse_national_id(value, expected):
    parsed = parse_national_id(value)
    assert parsed == expected
    assert parse_national_id(str(parsed)) == parsed


def test_national_id_kinds_and_forms():
    nid = parse_national_id("3440000016/DIR0001")
    assert nid.kind == "FINESS"
    assert str(nid) == "3440000016/DIR0001"
    assert nid.compact == "3440000016DIR0001"


@pytest.mark.parametrize("value, message", [
    ("899700000012", "RPPS est invalide"),
    ("9123", "Type d'identifiant"),
    ("3440000016", "identifiant local"),
    ("3440000017/X1", "FINESS est invalide"),
    ("", "obligatoire"),
])
def test_invalid_national_ids(value, message):
    with pytest.raises(InvalidIdentifier, match=message):
        parse_national_id(value)


def test_structure_national_id():
    assert structure_national_id(finess="440000016") == "1440000016"
    assert structure_national_id(siret="81234567600017") == "381234567600017"
    with pytest.raises(InvalidIdentifier):
        structure_national_id()
