"""Domain control validation: the dated policy of SERV SSL certificates and the challenges a structure answers.

The CA/Browser Forum's ballot SC-081 (adopted April 2025) shortens, in steps, both the longest validity of a TLS
server certificate and how long a domain's proof of control may be reused. The portal applies its schedule to SERV
SSL certificates as a public CA must: the step in force on the day of issuance wins. Before 15 March 2026 the
Baseline Requirements allowed 398 days for both; from then on, 200 days; from 15 March 2027, 100 days; from 15
March 2029, 47 days of validity and 10 days of proof reuse.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.domain.certificates import parse_domains, within
from app.domain.refusals import Refusal

METHODS = {"dns-01": "Enregistrement DNS TXT", "http-01": "Fichier sur le serveur web"}
DNS_LABEL = "_acme-challenge"
HTTP_PATH = "/.well-known/acme-challenge/"


@dataclass(frozen=True)
class PolicyStep:
    since: date
    max_validity_days: int
    proof_reuse_days: int


SC081 = (
    PolicyStep(date(2020, 9, 1), 398, 398),  # Baseline Requirements before SC-081
    PolicyStep(date(2026, 3, 15), 200, 200),
    PolicyStep(date(2027, 3, 15), 100, 100),
    PolicyStep(date(2029, 3, 15), 47, 10),
)


def policy_on(day: date) -> PolicyStep:
    """The step of the schedule in force on ``day``."""
    return [step for step in SC081 if step.since <= day][-1]


def proof_valid_until(validated_at: datetime) -> datetime:
    """Until when a proof made at ``validated_at`` may be reused: the reuse period is the one in force when the
    certificate is issued, so a proof made under a longer period ends when a shorter one starts and already
    excludes it (made in January 2027 under 200 days, it ends on 15 March 2027 if it is more than 100 days old
    by then)."""
    last = validated_at
    for step, following in zip(SC081, (*SC081[1:], None), strict=True):
        begins = max(validated_at, datetime.combine(step.since, time(), tzinfo=validated_at.tzinfo or UTC))
        ends = validated_at + timedelta(days=step.proof_reuse_days)
        if following is not None:
            ends = min(ends, datetime.combine(following.since, time(), tzinfo=validated_at.tzinfo or UTC))
        if ends > begins:
            last = max(last, ends)
    return last


class DomainError(Refusal, ValueError):
    """A French message for the administrator, next to the field it names."""

    def __init__(self, message: str, field: str = "domaine"):
        super().__init__(message, field)


class DnsUnanswered(DomainError):
    """The DNS did not answer (time-out, SERVFAIL): nothing was learnt, the look is to be tried again (ACME's
    « dns » problem, not an incorrect response)."""


def parse_domain(text: str) -> str:
    """One registrable name to prove (``chu-nantes.fr``, ``dpi.chu-nantes.fr``): no wildcard, no IP address."""
    text = (text or "").strip().lower().rstrip(".")
    if text.startswith("*."):
        raise DomainError("Prouvez le domaine lui-même (sans « *. ») : prouvé par DNS, ses sous-domaines en "
                          "relèvent ensuite.")
    try:
        names = parse_domains(text)
    except ValueError as exc:
        raise DomainError(str(exc)) from None
    if len(names) != 1:
        raise DomainError("Indiquez un seul nom de domaine (exemple : chu-nantes.fr).")
    return names[0]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def expected_value(token: str) -> str:
    """What the TXT record holds, and what the file serves: the token's SHA-256, base64url, as ACME's dns-01."""
    return base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).decode().rstrip("=")


__all__ = ["DNS_LABEL", "HTTP_PATH", "METHODS", "SC081", "DomainError", "PolicyStep", "expected_value", "new_token",
           "parse_domain", "policy_on", "proof_valid_until", "within"]
