"""Issue 29, the judges: dehydrated and uacme (Debian's packages) register with EAB, obtain by dns-01 through a hook
writing to a real DNS server, renew with a new key (dehydrated's default) and with the same key (uacme's default,
and dehydrated with PRIVATE_KEY_RENEW=no), and revoke; each certificate passes ``openssl verify`` through its AIA
and OCSP says good, then revoked."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from tests.acme.test_clients import DOMAIN, _ocsp, _recorded, _run, _serial, _spki, _verified_through_aia, portal

__all__ = ["portal"]  # the module-scoped live portal with its DNS server and four EAB credentials

pytestmark = pytest.mark.skipif(not (shutil.which("dehydrated") and shutil.which("uacme")),
                                reason="dehydrated or uacme missing: `make test` installs them")


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_dehydrated_obtains_renews_with_and_without_a_new_key_and_revokes(portal, tmp_path):
    name = f"www.dehydrated.{DOMAIN}"
    key_id, secret = portal["eab"][0]
    hook = _script(tmp_path / "hook.sh", f'[ "$1" = "deploy_challenge" ] && echo "_acme-challenge.$2 $4" >> '
                                         f'{portal["hooks"]}\nexit 0')
    config = tmp_path / "config"
    settings = (f'CA="{portal["base"]}/acme/directory"\nCHALLENGETYPE="dns-01"\nHOOK="{hook}"\n'
                f'BASEDIR="{tmp_path}"\nEAB_KID="{key_id}"\nEAB_HMAC_KEY="{secret}"\n'
                'CONTACT_EMAIL="dsi@editeur.example"\nKEY_ALGO="secp384r1"\n')
    config.write_text(settings)
    _run(["dehydrated", "--config", str(config), "--register", "--accept-terms"])
    _run(["dehydrated", "--config", str(config), "--cron", "--domain", name])
    live = tmp_path / "certs" / name
    first = (live / "cert.pem").read_bytes()
    assert _recorded(portal, _serial(first)).dns_names == [name]
    _verified_through_aia(first, tmp_path, portal["base"])
    assert "leaf.pem: good" in _ocsp(first, tmp_path)

    _run(["dehydrated", "--config", str(config), "--cron", "--force", "--domain", name])
    renewed = (live / "cert.pem").read_bytes()
    assert _serial(renewed) != _serial(first) and _spki(renewed) != _spki(first)  # a new key, its default
    config.write_text(settings + 'PRIVATE_KEY_RENEW="no"\n')
    _run(["dehydrated", "--config", str(config), "--cron", "--force", "--domain", name])
    kept = (live / "cert.pem").read_bytes()
    assert _serial(kept) != _serial(renewed) and _spki(kept) == _spki(renewed)  # the same key, on demand
    _recorded(portal, _serial(kept))
    _verified_through_aia(kept, tmp_path, portal["base"])

    _run(["dehydrated", "--config", str(config), "--revoke", str(live / "cert.pem")])
    assert "leaf.pem: revoked" in _ocsp(kept, tmp_path)


def test_uacme_obtains_renews_keeping_its_key_and_revokes(portal, tmp_path):
    name = f"www.uacme.{DOMAIN}"
    key_id, secret = portal["eab"][1]
    hook = _script(tmp_path / "hook.sh", f'[ "$2" = "dns-01" ] || exit 1\n'
                                         f'[ "$1" = "begin" ] && echo "_acme-challenge.$3 $5" >> {portal["hooks"]}\n'
                                         "exit 0")
    confdir = tmp_path / "uacme"
    base = ["uacme", "--confdir", str(confdir), "--acme-url", f"{portal['base']}/acme/directory", "--verbose"]
    _run([*base, "--yes", "--eab", f"{key_id}:{secret}", "new", "dsi@editeur.example"])
    _run([*base, "--hook", str(hook), "--type", "EC", "issue", name])
    certificate = confdir / name / "cert.pem"
    first = certificate.read_bytes()
    assert _recorded(portal, _serial(first)).dns_names == [name]
    _verified_through_aia(first, tmp_path, portal["base"])
    assert "leaf.pem: good" in _ocsp(first, tmp_path)

    _run([*base, "--hook", str(hook), "--force", "issue", name])
    renewed = certificate.read_bytes()
    assert _serial(renewed) != _serial(first) and _spki(renewed) == _spki(first)  # uacme keeps its key by default
    _verified_through_aia(renewed, tmp_path, portal["base"])

    _run([*base, "revoke", str(certificate)])
    assert "leaf.pem: revoked" in _ocsp(renewed, tmp_path)
