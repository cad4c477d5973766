"""Flask CLI: db, hsm, roles, pki, jobs, preflight, backup, restore. Failures print one line, never a traceback.

The demonstration data is loaded by ``python -m seeds``, beside the application."""

from __future__ import annotations

import functools

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.config import ConfigurationError
from app.operations.backup import BackupError
from app.signing.hsm import Hsm, HsmError

db_cli = AppGroup("db", help="Migrations de la base de données.")
hsm_cli = AppGroup("hsm", help="Jeton PKCS#11 (SoftHSM2 en développement).")
roles_cli = AppGroup("roles", help="Rôles des agences (opérateur ANS, évaluateur ANSM).")
pki_cli = AppGroup("pki", help="Autorités de certification du portail.")
jobs_cli = AppGroup("jobs", help="Tâches périodiques (le worker : python -m app.jobs).")
stats_cli = AppGroup("stats", help="Comptes mensuels des statistiques des agences.")


def one_line_errors(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (HsmError, ConfigurationError, ValueError, LookupError, BackupError) as exc:
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


@db_cli.command("import-attachments")
@click.argument("folder", required=False)
@one_line_errors
def db_import_attachments(folder):
    """Après la migration 0012 sur plusieurs nœuds : copier en base les pièces jointes restées dans le dossier de
    CE nœud (FOLDER, défaut instance/attachments)."""
    from pathlib import Path

    from app.db import get_session
    from app.operations.attachments import import_pending

    db = get_session()
    done, left = import_pending(db, Path(folder or _settings().instance_path / "attachments"))
    db.commit()
    click.echo(f"Pièces jointes reprises : {done}\u00a0; encore sur d'autres nœuds : {left}.")


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


@roles_cli.command("grant")
@click.argument("national_id")
@click.argument("role")
@click.option("--laboratoire", default="", help="Pour le rôle laboratory : le laboratoire, tel que le référentiel "
                                                 "le nomme.")
@click.option("--region", default="", help="Pour le rôle crpv\u00a0: le code de la région (ex. PDL).")
@one_line_errors
def roles_grant(national_id, role, laboratoire, region):
    """Donner le rôle ROLE (ans_operator, ansm_evaluator, laboratory, crpv) à l'identifiant national NATIONAL_ID."""
    from app.db import get_session
    from app.operations.roles import grant_role

    db = get_session()
    grant, created = grant_role(db, national_id, role, granted_by="cli", scope=laboratoire or region)
    db.commit()
    click.echo(f"{grant.national_id} : rôle {role} {'attribué' if created else 'déjà attribué'}.")


@stats_cli.command("rebuild")
@one_line_errors
def stats_rebuild():
    """Refaire les comptes mensuels des statistiques depuis l'historique des dossiers (ils n'en sont qu'un cache)."""
    from app.db import get_session
    from app.operations.statistics import rebuild

    db = get_session()
    written = rebuild(db.connection())
    db.commit()
    click.echo(f"{written} comptes refaits.")


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


@pki_cli.command("renewal-window")
@click.option("--ca", "authority_name", required=True, help="Autorité émettrice (ex. organisations).")
@click.option("--emis-du", "issued_from", required=True, type=click.DateTime(), help="Émis à partir de (AAAA-MM-JJ).")
@click.option("--emis-au", "issued_to", required=True, type=click.DateTime(), help="Émis avant (AAAA-MM-JJ).")
@click.option("--debut", "start", required=True, type=click.DateTime(), help="Début de la fenêtre de renouvellement.")
@click.option("--fin", "end", required=True, type=click.DateTime(), help="Fin de la fenêtre de renouvellement.")
@click.option("--motif", "explanation", required=True, help="Pourquoi (journal d'audit).")
@one_line_errors
def pki_renewal_window(authority_name, issued_from, issued_to, start, end, explanation):
    """Avancer le renouvellement (ARI, RFC 9773) des certificats valides qu'une AC a émis entre deux dates."""
    from datetime import UTC

    from app.db import get_session
    from app.operations.acme.renewal import move_windows

    db = get_session()
    moved = move_windows(db, authority_name=authority_name, issued_from=issued_from.replace(tzinfo=UTC),
                         issued_to=issued_to.replace(tzinfo=UTC), start=start.replace(tzinfo=UTC),
                         end=end.replace(tzinfo=UTC), explanation=explanation, actor="operateur:cli")
    db.commit()
    click.echo(f"Fenêtre de renouvellement avancée pour {moved} certificat(s) : les clients ACME qui lisent ARI "
               "renouvelleront d'eux-mêmes.")


@jobs_cli.command("run")
@click.argument("names", nargs=-1)
@one_line_errors
def jobs_run(names):
    """Lancer maintenant les tâches périodiques (toutes, ou celles nommées), comme le fait le worker
    (`python -m app.jobs`) : CRL, répondeurs OCSP, avis d’expiration, AAC échues, fichier des CRL de cartes
    (CPS_CRL_FILE), courriels en attente. Une tâche qu'un autre nœud exécute en ce moment est laissée."""
    jobs = current_app.extensions["jobs"]
    wanted = {job.name: job for job in jobs.wanted()}
    unknown = [name for name in names if name not in wanted]
    if unknown:
        raise click.ClickException(f"Tâche inconnue ou sans objet ici : {', '.join(unknown)} "
                                   f"(au choix : {', '.join(wanted)}).")
    for name in names or wanted:
        summary = jobs.run_periodic(name, force=True)
        click.echo(f"{name} : {summary if summary is not None else 'en cours sur un autre nœud, laissée'}.")


@jobs_cli.command("status")
@one_line_errors
def jobs_status():
    """Dernière exécution de chaque tâche périodique, sur tous les nœuds."""
    from app.db import get_session
    from app.jobs.claims import states

    for row in states(get_session()):
        click.echo(f"{row.name:16} réussites {row.runs:>6}  échecs {row.failures:>4}  "
                   f"dernière réussite {row.succeeded_at or 'jamais'}  {row.last_summary}"
                   + (f"  — dernier échec {row.failed_at} : {row.last_error}" if row.failed_at else ""))


def _token():
    from pathlib import Path

    from app.operations.backup import Token

    s = _settings()
    return Token(Path(s.softhsm2_conf) if "softhsm" in s.pkcs11_module else None, s.hsm_token_label)


@click.command("backup")
@click.argument("target", required=False)
@with_appcontext
@one_line_errors
def backup_command(target):
    """Sauvegarder la base et les clés du jeton ensemble, dans une archive (défaut : instance/backups/)."""
    from pathlib import Path

    from app.models.base import utcnow
    from app.operations.backup import backup

    s, hsm = _settings(), current_app.extensions["hsm"]
    path = Path(target) if target else s.instance_path / "backups" / f"portail-{utcnow():%Y%m%d-%H%M%S}.tar"
    manifest = backup(s.database_url, _token(), lambda: hsm.labels(), path)
    where = ("copiées avec le jeton SoftHSM" if manifest["keystore"] == "softhsm2"
             else "dans le HSM\u00a0: sauvegardez-le par ses propres moyens")
    click.echo(f"Sauvegarde {path} ({path.stat().st_size // 1024} kio)\u00a0: révision {manifest['revision']}, "
               f"{_count(manifest['filings'], 'dossier')}, {len(manifest['keys'])} clés nécessaires ({where}).")


@click.command("restore")
@click.argument("archive")
@with_appcontext
@one_line_errors
def restore_command(archive):
    """Restaurer une sauvegarde dans une base neuve et le jeton configuré, migrer, puis vérifier clés, chaîne
    d'audit et invariants."""
    from pathlib import Path

    from app.migrate import upgrade
    from app.operations.audit import verify_chain
    from app.operations.backup import required_keys, restore
    from app.operations.invariants import violations

    s, hsm = _settings(), current_app.extensions["hsm"]
    manifest = restore(Path(archive), s.database_url, _token())
    upgrade(s.database_url)
    with current_app.extensions["db"].session() as db:
        missing = required_keys(db) - set(hsm.labels())
        if missing:
            raise BackupError(f"Clés absentes du jeton : {', '.join(sorted(missing))} (restaurez le HSM avec la base).")
        broken = verify_chain(db)
        if broken is not None:
            raise BackupError(f"Chaîne d'audit rompue à l'événement {broken}.")
        found = violations(db)
    click.echo(f"Restauré : révision {manifest['revision']} (base maintenant à jour), "
               f"{_count(manifest['filings'], 'dossier')}, {len(manifest['keys'])} clés présentes, "
               f"chaîne d'audit intacte, {len(found)} incohérence(s)"
               f"{chr(0xa0) + ': ' + '; '.join(map(str, found)) if found else ''}.")


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
    for command in (db_cli, hsm_cli, roles_cli, pki_cli, jobs_cli, stats_cli, preflight, backup_command,
                    restore_command):
        app.cli.add_command(command)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n > 1 else ''}"

