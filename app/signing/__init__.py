"""Signing and PKI on a PKCS#11 token. No Flask imports in this package."""

from .asn1_lengths import install as _correct_asn1crypto_lengths

_correct_asn1crypto_lengths()
