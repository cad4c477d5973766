"""Flask CLI: db, hsm, seed, roles, preflight. Failures print one line, never a traceback."""

from __future__ import annotations

import functools

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.config import ConfigurationError
from app.signing.hsm import Hsm, HsmError

db_cli = AppGroup("db", help="Migrations de la base de données.")
hsm_cli = AppGroup("hsm", help="Jeton PKCS#11 (SoftHSM2 en développement).")
roles_cli = AppGroup("roles", help="Rôles des agences (opérateur ANS, évaluateur ANSM).")
pki_cli = AppGroup("pki", help="Autorités de certification du portail.")
jobs_cli = AppGroup("jobs", help="Tâches périodiques (cron).")


def one_line_errors(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (HsmError, ConfigurationError, ValueError, LookupError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def _settings():
    return current_app.config["SETTINGS"]


@db_cli.command("upgrade")
@click.argument("revision", default="head")
@one_line_errors
def db_upgrade(revision):
    """Migrer la base jusqu'à REVISION (head par défaut)."""
    from app.migrate import upgrade

    upgrade(_settings().database_url, revision)
    click.echo(f"Base migrée ({revision}).")


@db_cli.command("downgrade")
@click.argument("revision")
@one_line_errors
def db_downgrade(revision):
    """Revenir à REVISION (base pour tout défaire)."""
    from app.migrate import downgrade

    downgrade(_settings().database_url, revision)
    click.echo(f"Base ramenée à {revision}.")


@db_cli.command("invariants")
@one_line_errors
def db_invariants():
    """Vérifier qu'aucun dossier n'est resté à moitié fait (PDF scellé, décision, certificat)."""
    from app.db import get_session
    from app.operations.invariants import violations

    found = violations(get_session())
    for violation in found:
        click.echo(str(violation))
    if found:
        raise click.ClickException(f"{len(found)} dossier(s) incohérent(s).")
    click.echo("Aucun dossier incohérent.")


@hsm_cli.command("init")
@one_line_errors
def hsm_init():
    """Créer le jeton SoftHSM du projet et ses PIN sous instance/ (idempotent)."""
    from pathlib import Path

    from app.signing import softhsm

    s = _settings()
    if s.is_production:
        raise click.ClickException("« flask hsm init » est réservé au développement : en production, "
                                   "le jeton est initialisé par les opérateurs du HSM.")
    conf = Path(s.softhsm2_conf)
    created = softhsm.init_token(conf, s.hsm_dir / "tokens", s.hsm_token_label, s.hsm_pins_file)
    s.resolve_secrets()
    hsm = Hsm(s.pkcs11_module, s.hsm_token_label, s.hsm_pin)
    status = hsm.status()
    if not status["ok"]:
        raise click.ClickException(status["error"])
    click.echo(f"Jeton « {s.hsm_token_label} » {'créé' if created else 'déjà présent'} ({conf}).")


@hsm_cli.command("status")
@one_line_errors
def hsm_status():
    """Compter les objets du jeton par sorte (autorités, cachet, horodatage, répondeurs OCSP, liaisons ACME)."""
    from app.db import get_session
    from app.operations.pki.token import census

    hsm = current_app.extensions["hsm"]
    state = hsm.status()
    click.echo(f"Jeton : {'joignable' if state['ok'] else 'injoignable'}")
    for kind, count in sorted(census(get_session(), hsm).items()):
        click.echo(f"{kind}\t{count}")


@hsm_cli.command("keys")
@one_line_errors
def hsm_keys():
    """Lister les clés privées du jeton et leurs attributs de protection."""
    for key in current_app.extensions["hsm"].list_keys():
        click.echo(f"{key.label}\t{key.key_type}\textractible={key.extractable}\tsensible={key.sensitive}")


@click.command("seed")
@with_appcontext
@one_line_errors
def seed():
    """Charger les données de démonstration (idempotent ; refusé en production)."""
    from app.db import get_session
    from seeds.loader import load

    if _settings().is_production:
        raise click.ClickException("Refusé : PORTAL_ENV=production. Les données de démonstration ne vont "
                                   "jamais dans une base de production.")
    created = load(get_session())
    summary = ", ".join(f"{n} {k}" for k, n in sorted(created.items())) or "rien de nouveau"
    click.echo(f"Données de démonstration chargées : {summary}.")


@roles_cli.command("grant")
@click.argument("national_id")
@click.argument("role")
@click.option("--laboratoire", default="", help="Pour le rôle laboratory : le laboratoire, tel que le référentiel "
                                                 "le nomme.")
@one_line_errors
def roles_grant(national_id, role, laboratoire):
    """Donner le rôle ROLE (ans_operator, ansm_evaluator, laboratory) à l'identifiant national NATIONAL_ID."""
    from app.db import get_session
    from app.operations.roles import grant_role

    db = get_session()
    grant, created = grant_role(db, national_id, role, granted_by="cli", scope=laboratoire)
    db.commit()
    click.echo(f"{grant.national_id} : rôle {role} {'attribué' if created else 'déjà attribué'}.")


@pki_cli.command("init")
@one_line_errors
def pki_init():
    """Créer la hiérarchie (racine, ORGANISATIONS, PERSONNES), les CRL, le cachet du portail et les
    répondeurs OCSP délégués (idempotent)."""
    from app.db import get_session
    from app.operations.pki import init_pki

    db = get_session()
    done = init_pki(db, current_app.extensions["hsm"], _settings().portal_base_url)
    db.commit()
    click.echo(f"PKI : {', '.join(done) + ' créé(s)' if done else 'déjà en place'}.")


@jobs_cli.command("run")
@one_line_errors
def jobs_run():
    """Tâches périodiques idempotentes : CRL avant leur nextUpdate, répondeurs OCSP avant leur expiration, avis
    d’expiration des certificats (un mois avant, puis à l’expiration),
    fichier des CRL des AC de cartes pour nginx (CPS_CRL_FILE), courriels en attente (MAIL_SERVER)."""
    from app.db import get_session
    from app.models.base import utcnow
    from app.operations.expiry import send_expiry_notices
    from app.operations.pki import refresh_crls, renew_responders

    db, hsm, settings = get_session(), current_app.extensions["hsm"], _settings()
    refreshed = refresh_crls(db, hsm)
    responders = renew_responders(db, hsm, settings.portal_base_url)
    notices = send_expiry_notices(db, now=utcnow(), base_url=settings.portal_base_url)
    from app.operations.aac import expire_granted

    expired = expire_granted(db, utcnow().date())
    db.commit()
    from app.operations.pki.token import prune

    pruned = prune(db, hsm)  # after the renewal is committed: every new responder key has its certificate
    click.echo(f"Clés retirées du jeton : {len(pruned)}{' (' + ', '.join(pruned) + ')' if pruned else ''}.")
    click.echo(f"Avis d’expiration de certificats : {notices}.")
    click.echo(f"Autorisations d’accès compassionnel arrivées à échéance : {expired}.")
    click.echo(f"CRL renouvelées : {', '.join(refreshed) or 'aucune (toutes à jour)'}.")
    click.echo(f"Répondeurs OCSP renouvelés : {', '.join(responders) or 'aucun'}.")
    if settings.cps_crl_file:
        from app.operations.card_login import write_card_crls

        changed = write_card_crls(db, settings.cps_crl_file)
        click.echo(f"CRL des cartes pour nginx : {settings.cps_crl_file} ({'mis à jour' if changed else 'inchangé'}).")
    if settings.mail_server:
        mail = current_app.extensions["mailer"].deliver()
        click.echo(f"Courriels : {mail['sent']} envoyé(s), {mail['failed']} en échec (nouvel essai plus tard).")


@click.command("preflight")
@with_appcontext
def preflight():
    """Vérifier base de données et HSM comme au démarrage."""
    from app.preflight import problems

    found = problems(_settings())
    if found:
        raise click.ClickException(found[0])
    click.echo("Configuration correcte : base de données et HSM joignables.")


def register(app: Flask) -> None:
    for command in (db_cli, hsm_cli, roles_cli, pki_cli, jobs_cli, seed, preflight):
        app.cli.add_command(command)
