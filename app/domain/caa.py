"""CAA (RFC 8659): may this CA issue for a name? The relevant record set is the first non-empty one found climbing
from the name towards the root; with none, any CA may issue. An ``issue`` property names the CAs allowed (its value's
domain, before any parameters; an empty value allows none); a critical property whose tag the CA does not know forbids
issuance. Wildcards are never issued here, so ``issuewild`` is not read."""

from __future__ import annotations

from dataclasses import dataclass

CRITICAL = 128
KNOWN_TAGS = frozenset({"issue", "issuewild", "iodef", "contactemail", "contactphone"})


@dataclass(frozen=True)
class CaaRecord:
    flags: int
    tag: str
    value: str

    def __str__(self) -> str:
        return f'CAA {self.flags} {self.tag} "{self.value}"'


def issuer_of(value: str) -> str:
    """The issuer domain of an ``issue`` value (« letsencrypt.org; validationmethods=dns-01 » → letsencrypt.org)."""
    return value.split(";", 1)[0].strip().lower().rstrip(".")


def refusal(records: list[CaaRecord], identities: frozenset[str]) -> CaaRecord | None:
    """The record that forbids this CA (whose CAA identities are ``identities``) to issue, or None when allowed."""
    for record in records:
        if record.flags & CRITICAL and record.tag.lower() not in KNOWN_TAGS:
            return record
    issue = [r for r in records if r.tag.lower() == "issue"]
    if not issue or any(issuer_of(r.value) in identities for r in issue):
        return None
    return issue[0]
