"""One backup that restores: the database and the token's keys, taken so that they belong together.

The database is read in one snapshot (``pg_dump --snapshot`` on PostgreSQL, SQLite's online backup API), the
SoftHSM token's directory is copied after it, and the keys the snapshot's rows need (every CA's, the seal's and the
time stamp's, each OCSP responder still answering, each live ACME binding) are checked against the keys present
throughout the copy: a key destroyed in between (a binding revoked just then) makes the backup start again. The
set is one tar file with a manifest (revision, counts, SHA-256 of each part). A real HSM's keys are not copied: its
own backup (key wrapping to a backup HSM, a cloned partition) goes with the database dump, and the restore checks
that the token holds every key the rows need. No Flask: the CLI (``flask backup`` / ``flask restore``) calls it."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from app.models import Authority, EabCredential, Filing, IssuedCertificate
from app.models.base import aware, utcnow

from .pki.token import RESPONDER_GRACE

FORMAT = 1
TRIES = 3


class BackupError(Exception):
    """The backup or the restore cannot go on; the message says why, in one French line."""


def required_keys(db: Session, now=None) -> set[str]:
    """The token labels the rows cannot do without."""
    now = now or utcnow()
    needed = set(db.exec(select(Authority.key_label)).all())
    for label, profile, end in db.exec(select(IssuedCertificate.key_label, IssuedCertificate.profile,
                                              IssuedCertificate.not_after)
                                       .where(IssuedCertificate.key_label.is_not(None))):
        if profile != "OCSP_SIGNING" or aware(end) + RESPONDER_GRACE >= now:
            needed.add(label)
    for credential in db.exec(select(EabCredential).where(EabCredential.revoked_at.is_(None))):
        if credential.used_at is not None or aware(credential.expires_at) >= now:
            needed.add(credential.key_label)
    return needed


@dataclass
class Token:
    """Where the SoftHSM token lives (``None`` module: a real HSM, backed up by its own means)."""

    conf: Path | None
    label: str

    def directory(self) -> Path | None:
        if self.conf is None:
            return None
        root = tokendir(self.conf)
        for candidate in sorted(root.iterdir()) if root.is_dir() else ():
            marker = candidate / "token.object"
            if marker.is_file() and self.label.encode() in marker.read_bytes():
                return candidate
        raise BackupError(f"Jeton «\u00a0{self.label}\u00a0» introuvable sous {root}.")


def tokendir(conf: Path) -> Path:
    for line in conf.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "directories.tokendir":
            return Path(value.strip())
    raise BackupError(f"{conf}\u00a0: directories.tokendir manquant.")


def backup(database_url: str, token: Token, labels, target: Path) -> dict:
    """Write one backup archive at ``target`` (a new file, mode 0600); ``labels()`` lists the live token's
    labels. Returns the manifest."""
    for _ in range(TRIES):
        with tempfile.TemporaryDirectory(prefix="portail-sauvegarde-") as work:
            work = Path(work)
            manifest = _take(database_url, token, labels, work)
            if manifest is not None:
                _pack(work, manifest, target)
                return manifest
    raise BackupError("Des clés ont changé dans le jeton pendant chaque essai de sauvegarde : réessayez.")


def _take(database_url: str, token: Token, labels, work: Path) -> dict | None:
    url = make_url(database_url)
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            if url.get_backend_name() == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                conn.begin()
                snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
                _pg_dump(url, snapshot, work / "database.dump")
                parts = ["database.dump"]
                rows = Session(bind=conn)
            else:
                _sqlite_copy(url.database, work / "database.sqlite3")
                parts = ["database.sqlite3"]
                rows = Session(sa.create_engine(f"sqlite:///{work / 'database.sqlite3'}"))
            before = set(labels())
            directory = token.directory()
            if directory is not None:
                shutil.copytree(directory, work / "token" / directory.name)
                parts += [str(p.relative_to(work)) for p in sorted((work / "token").rglob("*")) if p.is_file()]
            present = before & set(labels())
            needed = required_keys(rows)
            revision = rows.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            filings = rows.exec(select(sa.func.count(Filing.id))).one()
            rows.close()
    finally:
        engine.dispose()
    missing = needed - present
    if directory is not None and missing:
        return None  # a key went while the token was copied: start again
    return {"format": FORMAT, "created_at": utcnow().isoformat(), "revision": revision,
            "backend": url.get_backend_name(), "token_label": token.label,
            "keystore": "softhsm2" if directory is not None else "externe",
            "keys": sorted(needed), "filings": filings,
            "files": {part: _sha256(work / part) for part in parts}}


def _pg_dump(url, snapshot: str, path: Path) -> None:
    env = dict(os.environ, PGPASSWORD=url.password or "")
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                           "--file", str(path), dsn], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_dump a échoué\u00a0: {done.stderr.strip().splitlines()[-1] if done.stderr else '?'}")


def _sqlite_copy(source: str, path: Path) -> None:
    live, copy = sqlite3.connect(source), sqlite3.connect(path)
    try:
        live.backup(copy)  # a consistent copy while the portal writes
    finally:
        copy.close()
        live.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pack(work: Path, manifest: dict, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # it holds the token: never world-readable
    with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w") as tar:
        body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size, info.mode = len(body), 0o600
        tar.addfile(info, io.BytesIO(body))
        for part in manifest["files"]:
            tar.add(work / part, arcname=part)


def restore(archive: Path, database_url: str, token: Token) -> dict:
    """Restore ``archive`` into an empty database and, for SoftHSM, the configured token directory (which must not
    hold a token of that label). Returns the manifest; the caller migrates and checks."""
    with tempfile.TemporaryDirectory(prefix="portail-restauration-") as work:
        work = Path(work)
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data")
        manifest = json.loads((work / "manifest.json").read_text())
        for part, digest in manifest["files"].items():
            if _sha256(work / part) != digest:
                raise BackupError(f"Sauvegarde altérée : {part} ne correspond pas à son empreinte.")
        if manifest["token_label"] != token.label:
            raise BackupError(f"La sauvegarde est celle du jeton «\u00a0{manifest['token_label']}\u00a0», pas de "
                              f"«\u00a0{token.label}\u00a0» (HSM_TOKEN_LABEL).")
        url = make_url(database_url)
        if manifest["backend"] != url.get_backend_name():
            raise BackupError(f"Sauvegarde {manifest['backend']} : restaurez-la dans une base du même type.")
        _refuse_filled(database_url)
        if manifest["keystore"] == "softhsm2" and token.conf is not None:
            _restore_token(work / "token", token)
        if url.get_backend_name() == "postgresql":
            env = dict(os.environ, PGPASSWORD=url.password or "")
            dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
            done = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname",
                                   dsn, str(work / "database.dump")], capture_output=True, text=True, env=env,
                                  check=False)
            if done.returncode != 0:
                raise BackupError(f"pg_restore a échoué\u00a0: {done.stderr.strip().splitlines()[-1]}")
        else:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(str(work / "database.sqlite3"), Path(url.database))
    return manifest


def _refuse_filled(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        tables = sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BackupError("La base de destination n'est pas vide : restaurez dans une base neuve (DATABASE_URL).")


def _restore_token(saved: Path, token: Token) -> None:
    from app.signing import softhsm

    root = tokendir(token.conf) if token.conf.exists() else token.conf.parent / "tokens"
    softhsm.write_config(token.conf, root)
    for directory in sorted(root.iterdir()):
        marker = directory / "token.object"
        if marker.is_file() and token.label.encode() in marker.read_bytes():
            raise BackupError(f"Un jeton «\u00a0{token.label}\u00a0» existe déjà sous {root} : restaurez à côté.")
    for directory in saved.iterdir():
        shutil.copytree(directory, root / directory.name)

