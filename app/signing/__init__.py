"""Signing and PKI on a PKCS#11 token. No Flask imports in this package."""
