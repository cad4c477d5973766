"""French health identifiers: RPPS, ADELI, FINESS, SIRET/SIREN and national ids with their type prefix.

Each ``validate_*`` returns the compact value or raises :class:`InvalidIdentifier` with a French
message fit to show next to a form field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as _siren
from stdnum.fr import siret as _siret


class InvalidIdentifier(ValueError):
    """The value is not a valid identifier; ``str(exc)`` is a French message for the user."""


def _compact(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def validate_rpps(value: str) -> str:
    """RPPS: 11 digits, the last one a Luhn key."""
    v = _compact(value)
    if not re.fullmatch(r"\d{11}", v):
        raise InvalidIdentifier("Le numéro RPPS comporte 11 chiffres.")
    if not luhn.is_valid(v):
        raise InvalidIdentifier("Le numéro RPPS est invalide (clé de contrôle incorrecte).")
    return v


def validate_adeli(value: str) -> str:
    """ADELI: 9 characters (département, profession, order number); no published check key."""
    v = _compact(value)
    if not re.fullmatch(r"(\d{2}|2A|2B)\d{7}", v):
        raise InvalidIdentifier("Le numéro ADELI comporte 9 caractères (département puis 7 chiffres).")
    return v


def validate_finess(value: str) -> str:
    """FINESS: 9 characters, two for the département (2A/2B in Corsica), the last a Luhn key.

    For Corsica the key is computed with 2A and 2B read as 20, as the FINESS file does.
    """
    v = _compact(value)
    if not re.fullmatch(r"(\d{2}|2A|2B)\d{7}", v):
        raise InvalidIdentifier("Le numéro FINESS comporte 9 caractères (2A ou 2B pour la Corse).")
    if not luhn.is_valid(re.sub(r"^2[AB]", "20", v)):
        raise InvalidIdentifier("Le numéro FINESS est invalide (clé de contrôle incorrecte).")
    return v


def finess_check_digit(first8: str) -> str:
    """The Luhn key to append to the first 8 characters of a FINESS number."""
    return luhn.calc_check_digit(re.sub(r"^2[AB]", "20", first8.upper()))


def validate_siret(value: str) -> str:
    v = _compact(value)
    try:
        return _siret.validate(v)
    except ValidationError:
        if not re.fullmatch(r"\d{14}", v):
            raise InvalidIdentifier("Le numéro SIRET comporte 14 chiffres.") from None
        raise InvalidIdentifier("Le numéro SIRET est invalide (clé de contrôle incorrecte).") from None


def validate_siren(value: str) -> str:
    v = _compact(value)
    try:
        return _siren.validate(v)
    except ValidationError:
        if not re.fullmatch(r"\d{9}", v):
            raise InvalidIdentifier("Le numéro SIREN comporte 9 chiffres.") from None
        raise InvalidIdentifier("Le numéro SIREN est invalide (clé de contrôle incorrecte).") from None


# National ids --------------------------------------------------------------------------------------

PERSON_ID_TYPES = {
    "8": "RPPS",
    "0": "ADELI",
    "3": "FINESS",  # structure-scoped staff id: 3 + FINESS + local number
    "5": "SIRET",   # structure-scoped staff id: 5 + SIRET + local number
}


@dataclass(frozen=True)
class NationalId:
    """A person's national id: the type prefix, the registry number and, for staff, a local number."""

    prefix: str
    number: str
    local: str = ""

    @property
    def kind(self) -> str:
        return PERSON_ID_TYPES[self.prefix]

    def __str__(self) -> str:
        return f"{self.prefix}{self.number}{'/' + self.local if self.local else ''}"

    @property
    def compact(self) -> str:
        """As carried by PSC's SubjectNameID and card CNs for RPPS/ADELI (no separator)."""
        return f"{self.prefix}{self.number}{self.local}"


def parse_national_id(value: str) -> NationalId:
    """Parse ``8``+RPPS, ``0``+ADELI, ``3``+FINESS+local or ``5``+SIRET+local (``/`` optional); also an RPPS or
    an ADELI number as printed on the card or the diploma, without its type prefix (11 digits with a valid key;
    9 characters), which is what people copy."""
    v = (value or "").strip().upper()
    if not v:
        raise InvalidIdentifier("L'identifiant national est obligatoire.")
    try:
        return _prefixed(v)
    except InvalidIdentifier:
        printed = _compact(v)
        if re.fullmatch(r"\d{11}", printed):
            return NationalId("8", validate_rpps(printed))
        if re.fullmatch(r"(\d{2}|2A|2B)\d{7}", printed):
            return NationalId("0", printed)
        raise


def _prefixed(v: str) -> NationalId:
    prefix, rest = v[0], v[1:]
    if prefix == "8":
        return NationalId("8", validate_rpps(rest))
    if prefix == "0":
        return NationalId("0", validate_adeli(rest))
    if prefix in ("3", "5"):
        size = 9 if prefix == "3" else 14
        number, _, local = rest.partition("/")
        if not local:
            number, local = rest[:size], rest[size:]
        number = validate_finess(number) if prefix == "3" else validate_siret(number)
        if not re.fullmatch(r"[A-Z0-9]{1,20}", local):
            raise InvalidIdentifier("L'identifiant local de la structure est manquant ou invalide.")
        return NationalId(prefix, number, local)
    raise InvalidIdentifier(
        "Type d'identifiant national inconnu : il commence par 8 (RPPS), 0 (ADELI), 3 (FINESS) ou 5 (SIRET)."
    )


def structure_national_id(*, finess: str | None = None, siret: str | None = None) -> str:
    """IGC-Santé structure id: ``1``+FINESS, or ``3``+SIRET when the structure is outside FINESS."""
    if finess:
        return "1" + validate_finess(finess)
    if siret:
        return "3" + validate_siret(siret)
    raise InvalidIdentifier("Une structure est identifiée par son FINESS ou, à défaut, son SIRET.")
