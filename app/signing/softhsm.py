"""SoftHSM2 token set-up for development and tests (a real HSM's token is set up by its operators)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

from .hsm import HsmUnavailable

TEMPLATE = Path(__file__).resolve().parents[2] / "hsm" / "softhsm2.conf.template"


def write_config(conf_path: Path, token_dir: Path) -> None:
    token_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    conf_path.parent.mkdir(parents=True, exist_ok=True)
    text = TEMPLATE.read_text().replace("{tokendir}", str(token_dir))
    if not conf_path.exists() or conf_path.read_text() != text:
        conf_path.write_text(text)


def token_exists(conf_path: Path, label: str) -> bool:
    out = _util(conf_path, "--show-slots")
    return any(line.strip() == f"Label:            {label}" or line.split(":", 1)[-1].strip() == label
               for line in out.splitlines() if "Label:" in line)


def init_token(conf_path: Path, token_dir: Path, label: str, pins_file: Path) -> bool:
    """Create the token and its PINs if absent. Returns True when something was created."""
    write_config(conf_path, token_dir)
    if token_exists(conf_path, label):
        if not pins_file.exists():
            raise HsmUnavailable(
                f"Le jeton « {label} » existe mais {pins_file} manque : définissez HSM_PIN, "
                f"ou supprimez {token_dir} pour repartir d'un jeton neuf."
            )
        return False
    pins = {"user_pin": _digits(8), "so_pin": _digits(12)}
    _util(conf_path, "--init-token", "--free", "--label", label, "--so-pin", pins["so_pin"], "--pin", pins["user_pin"])
    pins_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(pins_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(pins, fh)
    return True


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def _util(conf_path: Path, *args: str) -> str:
    exe = shutil.which("softhsm2-util")
    if exe is None:
        raise HsmUnavailable("softhsm2-util introuvable : installez SoftHSM2 (apt-get install softhsm2).")
    env = dict(os.environ, SOFTHSM2_CONF=str(conf_path))
    proc = subprocess.run([exe, *args], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise HsmUnavailable(f"softhsm2-util {args[0]} a échoué : {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout
