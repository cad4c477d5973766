"""Certificate signing requests: parse (PEM or DER), prove possession, accept only strong keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from app.domain.certificates import CertificateRequestError

MAX_CSR_BYTES = 16 * 1024
ALLOWED_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384"}


@dataclass(frozen=True)
class CheckedRequest:
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    spki_der: bytes
    spki_sha256: str
    key_description: str
    requested_dns: tuple[str, ...]
    common_names: tuple[str, ...] = ()
    other_names: bool = False  # IP addresses or e-mail addresses in the SAN

    @property
    def names(self) -> set[str]:
        """Every host name the CSR asks for (SAN and CN), lower-cased, without a final dot."""
        return {n.lower().rstrip(".") for n in self.requested_dns + self.common_names}


def load_csr(data: bytes) -> CheckedRequest:
    """Parse and check a CSR; raises :class:`CertificateRequestError` with a precise French message."""
    if not data or not data.strip():
        raise CertificateRequestError("Déposez une demande de certificat (CSR) au format PEM ou DER.")
    if len(data) > MAX_CSR_BYTES:
        raise CertificateRequestError(f"Le fichier dépasse {MAX_CSR_BYTES // 1024} Ko : ce n’est pas une CSR.")
    try:
        csr = (x509.load_pem_x509_csr(data) if b"-----BEGIN" in data else x509.load_der_x509_csr(data))
    except ValueError:
        raise CertificateRequestError("Le fichier n’est pas une demande de certificat (CSR) lisible, "
                                      "ni en PEM ni en DER.") from None
    try:
        signature_ok = csr.is_signature_valid
    except Exception:  # unsupported algorithms surface here
        signature_ok = False
    if not signature_ok:
        raise CertificateRequestError("La signature de la CSR est invalide : la preuve de possession de la "
                                      "clé privée échoue. Régénérez la CSR avec la clé du serveur.")
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise CertificateRequestError(f"Clé RSA de {key.key_size} bits refusée : 2048 bits au minimum.")
        description = f"RSA {key.key_size} bits"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in ALLOWED_CURVES:
            raise CertificateRequestError(f"Courbe elliptique « {key.curve.name} » non acceptée : "
                                          "utilisez P-256 ou P-384.")
        description = f"ECDSA {ALLOWED_CURVES[key.curve.name]}"
    else:
        raise CertificateRequestError("Type de clé non accepté : RSA (2048 bits ou plus) ou ECDSA P-256/P-384.")
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        others = bool(san.get_values_for_type(x509.IPAddress) or san.get_values_for_type(x509.RFC822Name))
    except x509.ExtensionNotFound:
        dns, others = (), False
    cns = tuple(str(a.value) for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME))
    return CheckedRequest(public_key=key, spki_der=spki, spki_sha256=hashlib.sha256(spki).hexdigest(),
                          key_description=description, requested_dns=dns, common_names=cns, other_names=others)
