"""« Demander un certificat », described like the ANS forms: family, structure, usage, then the details and the
CSRs. The first three steps offer what the administrator's habilitations allow (choices from the situation); the
last shows the fields the chosen product needs (flags). Nothing is saved before issuance, which is immediate."""

from __future__ import annotations

from app.domain.certificates import PROFILES
from app.domain.products import INSI_NAMES

from .schema import Field, FormSpec, Step

# Flags the plug-in sets on the last step: the product's profiles (« csr_<profile> »), the family, « insi » (the
# CN is one of two fixed names), « attestation » (the DMP's FINESS géographique attestation is needed).
CSR_PROFILES = ("ORG_AUTH_CLI", "ORG_SIGN", "ORG_CONF", "SERV_SSL")


def _csr(profile: str) -> Field:
    return Field(f"csr_{profile}", f"Demande de certificat (CSR) – {PROFILES[profile].label}", "csr", required=False,
                 when=f"csr_{profile}", hint="Collez la CSR au format PEM, ou déposez le fichier ci-dessous.")


CERT_REQUEST = FormSpec(
    "CERT", "Demander un certificat", "Commander des certificats logiciels ORG ou SERV pour une structure.",
    frozenset({"technical_admin"}),
    (
        Step("famille", "Famille", (
            Field("famille", "Famille de certificats", "radio", message="Choisissez une famille de certificats."),
        )),
        Step("structure", "Structure", (
            Field("structure", "Structure (celles où vous êtes administrateur technique de cette famille)", "radio",
                  empty="Aucune structure ne correspond.", message="Choisissez une structure."),
        )),
        Step("usage", "Usage", (
            Field("usage", "À quoi servira le certificat ?", "radio", message="Choisissez un usage."),
        )),
        Step("details", "Détails et CSR", (
            Field("service_name", "Nom du service (CN)", when="nom_libre", max_length=64,
                  message="Indiquez le nom du service (CN)."),
            Field("insi_name", "Nom du certificat (CN)", "radio", when="insi", choices=INSI_NAMES,
                  message="Choisissez le nom du certificat INSi."),
            Field("dns_names", "Noms DNS du serveur", "domains", when="SERV", max_length=1000,
                  message="Indiquez au moins un nom DNS du serveur."),
            Field("attestation", "J’atteste que les logiciels qui utiliseront ce certificat transmettent le FINESS "
                                 "géographique dans les métadonnées d’alimentation du DMP.", "checkbox",
                  required=False, when="attestation"),  # the structure rule asks for it, in its own words
            Field("email", "Votre adresse électronique", "email", autocomplete="email",
                  hint="Les avis d’expiration y seront envoyés.",
                  message="Votre adresse électronique est obligatoire : les avis d’expiration y seront envoyés."),
            Field("copy_email", "Adresse en copie", "email", required=False,
                  hint="Facultative ; une adresse générique est conseillée."),
            *(_csr(profile) for profile in CSR_PROFILES),
        )),
    ),
)
