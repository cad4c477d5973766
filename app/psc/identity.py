"""The identity a login produces, whatever the way in (PSC with card or e-CPS, or CPS card over TLS)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Activity:
    """One situation of practice, as PSC's ``exercices[].activities[]`` describe it."""

    profession_code: str
    category_code: str = ""
    specialty_code: str = ""
    practice_mode: str = ""
    sector_code: str = ""
    finess_site: str = ""
    finess_legal: str = ""
    siret_site: str = ""
    site_name: str = ""
    pharmacist_section: str = ""  # Ordre des pharmaciens table section; H: établissements de santé (PUI)

    @property
    def in_pui(self) -> bool:
        """A pharmacist practising in a pharmacie à usage intérieur (the table's section H)."""
        return self.profession_code == "21" and self.pharmacist_section.upper() == "H"


@dataclass(frozen=True)
class ProfessionalIdentity:
    national_id: str
    family_name: str
    given_name: str
    auth_method: str
    civility: str = ""
    profession_code: str = ""
    profession_category: str = ""
    profession_label: str = ""
    activities: tuple[Activity, ...] = field(default_factory=tuple)
    other_ids: tuple[str, ...] = field(default_factory=tuple)
    subject_roles: tuple[str, ...] = field(default_factory=tuple)


class IdentityError(ValueError):
    """The provider's answer or the certificate does not identify a professional; French message."""
