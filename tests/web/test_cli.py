"""Operator commands: one clear line on refusal, idempotent where they say so."""

from sqlmodel import select

from app.models import AgencyRole


def test_seed_is_refused_in_production(app, monkeypatch, capsys):
    """(A whole production app is tested in tests/unit/test_config.py: a second app would re-bind the shared
    limiter to its storage.)"""
    from seeds.__main__ import main

    monkeypatch.setattr(app.config["SETTINGS"], "env", "production")
    assert main(app) == 1
    assert "Refusé\u00a0: PORTAL_ENV=production" in capsys.readouterr().err
    assert "seed" not in app.cli.commands  # the application does not carry its demonstration data


def test_roles_grant_from_the_command_line(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["roles", "grant", "899700000013", "ansm_evaluator"])
    assert first.exit_code == 0 and "attribué" in first.output
    again = runner.invoke(args=["roles", "grant", "899700000013", "ansm_evaluator"])
    assert "déjà attribué" in again.output
    assert db.exec(select(AgencyRole).where(AgencyRole.national_id == "899700000013")).first()
    bad = runner.invoke(args=["roles", "grant", "899700000013", "administrateur"])
    assert bad.exit_code != 0 and "Rôle inconnu" in bad.output and "Traceback" not in bad.output


def test_a_crpv_is_granted_with_its_region_and_the_counts_are_rebuilt_from_the_command_line(app, db):
    runner = app.test_cli_runner()
    granted = runner.invoke(args=["roles", "grant", "899700000013", "crpv", "--region", "PDL"])
    assert granted.exit_code == 0 and "attribué" in granted.output
    assert db.exec(select(AgencyRole).where(AgencyRole.role == "crpv")).one().scope == "PDL"
    unknown = runner.invoke(args=["roles", "grant", "899700000013", "crpv", "--region", "XYZ"])
    assert unknown.exit_code != 0 and "Région inconnue" in unknown.output and "Traceback" not in unknown.output
    without = runner.invoke(args=["roles", "grant", "899700000013", "crpv"])
    assert without.exit_code != 0 and "--region" in without.output
    rebuilt = runner.invoke(args=["stats", "rebuild"])
    assert rebuilt.exit_code == 0 and "comptes refaits" in rebuilt.output


def test_pki_init_is_idempotent_and_keys_are_listed(app, db):
    runner = app.test_cli_runner()
    runner.invoke(args=["pki", "init"])
    second = runner.invoke(args=["pki", "init"])
    assert second.exit_code == 0 and "déjà en place" in second.output
    keys = runner.invoke(args=["hsm", "keys"]).output
    assert "ca-root\tRSA\textractible=False\tsensible=True" in keys


def test_jobs_run_writes_card_crls_for_nginx_and_keeps_responders(app, db, hsm, tmp_path, monkeypatch):
    from cryptography import x509

    from app.operations.pki import authority, current_responder, init_pki

    init_pki(db, hsm, "http://localhost")  # the session's PKI: its responders are in force
    assert current_responder(db, authority(db, "organisations").id) is not None
    target = tmp_path / "nginx" / "cards.crl.pem"
    monkeypatch.setattr(app.config["SETTINGS"], "cps_crl_file", str(target))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "run"])
    assert first.exit_code == 0, first.output
    assert "répondeurs renouvelés : aucun" in first.output and "mis à jour" in first.output
    issuers = {x509.load_pem_x509_crl(("-----BEGIN X509 CRL-----" + part).encode()).issuer
               for part in target.read_text().split("-----BEGIN X509 CRL-----")[1:]}
    expected = {x509.load_der_x509_certificate(authority(db, name).certificate_der).subject
                for name in ("personnes", "root")}  # the card CA and the root above it, not ORGANISATIONS
    assert issuers == expected
    assert "inchangé" in runner.invoke(args=["jobs", "run"]).output
    assert current_responder(db, authority(db, "organisations").id) is not None
