"""Which certificates a usage needs (reference/003, 004), and under which structure identifier they may be
issued: the products table and the dated structure rule, plain data the request pages and the API share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .codes import Code, CodeSet

USAGES = CodeSet(
    "certificate_usage",
    Code("DMP", "Alimentation du DMP"), Code("INSI", "Téléservice INSi"), Code("PSC", "Pro Santé Connect"),
    Code("MSS", "MSSanté"), Code("AUTRE", "Autre usage"),
)
INSI_NAMES = (("INSI-AUTO", "INSI-AUTO – appels automatiques (par lots)"),
              ("INSI-MANU", "INSI-MANU – appels manuels (à l’unité)"))


@dataclass(frozen=True)
class Product:
    family: str
    usage: str
    profiles: tuple[str, ...]  # one certificate (and one CSR) per profile, issued together or not at all
    help: str


PRODUCTS: dict[tuple[str, str], Product] = {(p.family, p.usage): p for p in (
    Product("ORG", "DMP", ("ORG_AUTH_CLI", "ORG_SIGN"),
            "2 certificats sont nécessaires : authentification (ORG AUTH_CLI) et signature (ORG SIGN), chacun avec "
            "sa propre clé. Un certificat par solution logicielle qui alimente le DMP."),
    Product("ORG", "INSI", ("ORG_AUTH_CLI",),
            "Un certificat ORG AUTH_CLI nommé exactement INSI-AUTO ou INSI-MANU ; il ne sert qu’à INSi."),
    Product("ORG", "PSC", ("ORG_AUTH_CLI",), "Un certificat ORG AUTH_CLI par serveur fournisseur de service."),
    Product("ORG", "MSS", ("ORG_AUTH_CLI",), "Un certificat ORG AUTH_CLI pour le logiciel qui échange avec MSSanté."),
    Product("ORG", "AUTRE", ("ORG_AUTH_CLI",), "Un certificat ORG AUTH_CLI ; le nom du service est libre."),
    Product("SERV", "MSS", ("SERV_SSL",), "Un certificat serveur SSL pour un opérateur de messagerie MSSanté."),
    Product("SERV", "AUTRE", ("SERV_SSL",), "Un certificat serveur SSL : ses noms DNS en forment le nom."),
)}


def usages_for(family: str) -> list[tuple[str, str]]:
    return [(usage, USAGES[usage]) for (f, usage) in PRODUCTS if f == family]


@dataclass(frozen=True)
class StructureFacts:
    kind: str  # EJ, EG, ORG
    public: bool
    dialysis: bool


@dataclass(frozen=True)
class StructureRule:
    """One line of the policy: for a category of structure and an identifier level, what is allowed, since when."""

    code: str
    category: str  # public_or_dialysis, private, outside_finess
    level: str  # EJ, EG, SIRET
    new: bool
    renewal: bool
    needs_attestation: bool
    effective_from: date | None
    text: str  # the rule as the administrator reads it when it applies or refuses


# reference/003, « Application pour le couloir hôpital » and « Perspective calendaire ». The date from which
# private establishments may certify under their EJ (with the attestation) was "to be announced": it is data.
PRIVATE_EJ_FROM = date(2025, 1, 1)
STRUCTURE_RULES: tuple[StructureRule, ...] = (
    StructureRule("public-ej", "public_or_dialysis", "EJ", True, True, False, None,
                  "Établissement public ou centre de dialyse : certificats sous le FINESS juridique (EJ), "
                  "pour tous ses sites."),
    StructureRule("public-eg-renewal", "public_or_dialysis", "EG", False, True, False, None,
                  "Établissement public ou centre de dialyse : un certificat sous FINESS géographique peut être "
                  "renouvelé et conservé jusqu’à son expiration, mais plus commandé."),
    StructureRule("private-eg", "private", "EG", True, True, False, None,
                  "Établissement privé : un certificat par site, sous son FINESS géographique (EG), jamais mutualisé "
                  "entre sites."),
    StructureRule("private-ej", "private", "EJ", True, True, True, PRIVATE_EJ_FROM,
                  "Établissement privé : certificat sous le FINESS juridique (EJ) seulement avec l’attestation que "
                  "les logiciels transmettent le FINESS géographique dans les métadonnées du DMP (VIHF, lot de "
                  "soumission, document)."),
    StructureRule("outside-finess", "outside_finess", "SIRET", True, True, False, None,
                  "Structure hors FINESS : certificats sous son SIRET."),
)


@dataclass(frozen=True)
class StructureDecision:
    allowed: bool
    rule: StructureRule | None
    message: str
    field: str = "structure"


def _category(facts: StructureFacts) -> str:
    if facts.kind == "ORG":
        return "outside_finess"
    return "public_or_dialysis" if facts.public or facts.dialysis else "private"


def structure_decision(facts: StructureFacts, *, renewal: bool, attestation: bool, today: date) -> StructureDecision:
    """Whether a certificate may be issued under this structure's identifier, and the rule that says so."""
    level = {"EJ": "EJ", "EG": "EG", "ORG": "SIRET"}[facts.kind]
    category = _category(facts)
    rule = next((r for r in STRUCTURE_RULES if r.category == category and r.level == level), None)
    if rule is None:
        return StructureDecision(False, None, "Aucune règle ne permet de certifier cette structure.")
    if rule.effective_from and today < rule.effective_from:
        return StructureDecision(False, rule, f"{rule.text} Cette possibilité s’applique à partir du "
                                              f"{rule.effective_from:%d/%m/%Y}.")
    if not (rule.renewal if renewal else rule.new):
        return StructureDecision(False, rule, rule.text)
    if rule.needs_attestation and not attestation:
        return StructureDecision(False, rule, rule.text + " Cochez l’attestation pour continuer.", field="attestation")
    return StructureDecision(True, rule, rule.text)


CERTIFICATE_STATUSES = CodeSet(
    "certificate_status",
    Code("valide", "Valide", "success"), Code("expire_bientot", "Expire bientôt", "warning"),
    Code("expire", "Expiré", "error"), Code("revoque", "Révoqué", "error"),
)
REVOCATION_REASONS = (  # what an administrator may give (RFC 5280 codes)
    ("key_compromise", "Clé privée compromise (perdue, copiée, volée)"),
    ("cessation_of_operation", "Serveur ou service arrêté"),
    ("superseded", "Remplacé par un nouveau certificat"),
    ("affiliation_changed", "La structure a changé (nom, identifiant)"),
    ("unspecified", "Autre motif"),
)


def certificate_status(not_after, revoked_at, now, soon_days: int = 30) -> str:
    """valide, expire_bientot (within ``soon_days``), expire or revoque."""
    from datetime import UTC, timedelta

    if not_after.tzinfo is None:  # SQLite gives back naive UTC
        not_after = not_after.replace(tzinfo=UTC)
    if revoked_at is not None:
        return "revoque"
    if not_after <= now:
        return "expire"
    return "expire_bientot" if not_after - now <= timedelta(days=soon_days) else "valide"
