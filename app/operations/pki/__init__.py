"""The PKI's use cases, by concern: lookups (hierarchy), provisioning, issuance, revocation and CRLs, the OCSP
responder, sealing.

Operations sign in the HSM before writing anything and only flush: the caller (view, CLI command, job)
commits once.
"""

from .hierarchy import (
    CARD_AUTHORITIES,
    HIERARCHY,
    ORGANISATIONS,
    PERSONNES,
    ROOT,
    SEAL_KEY_LABEL,
    authority,
    current_responder,
    issuer,
    seal_certificate,
)
from .issuance import issue_card_certificate, issue_certificate, issue_checked, require_contract
from .provisioning import init_pki, renew_responders
from .responder import ocsp_answer
from .revocation import certificate_status, refresh_crls, revoke_certificate
from .sealing import seal_material, seal_pdf

__all__ = [
    "CARD_AUTHORITIES", "HIERARCHY", "ORGANISATIONS", "PERSONNES", "ROOT", "SEAL_KEY_LABEL", "authority",
    "certificate_status", "current_responder", "init_pki", "issue_card_certificate", "issue_certificate",
    "issue_checked", "issuer", "ocsp_answer", "refresh_crls", "renew_responders", "require_contract",
    "revoke_certificate", "seal_certificate",
    "seal_material", "seal_pdf",
]
