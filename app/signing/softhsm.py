"""SoftHSM2 token set-up for development and tests (a real HSM's token is set up by its operators)."""

from __future__ import annotations

import json
import os
import pty
import secrets
import select
import shutil
import subprocess
import time
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
                f"Le jeton « {label} » existe mais {pins_file} manque : définissez HSM_PIN, "
                f"ou supprimez {token_dir} pour repartir d'un jeton neuf."
            )
        return False
    pins = {"user_pin": _digits(8), "so_pin": _digits(12)}
    # The PINs are typed at softhsm2-util's prompts, never put on its command line (visible in ps).
    _util(conf_path, "--init-token", "--free", "--label", label,
          answers=(pins["so_pin"], pins["so_pin"], pins["user_pin"], pins["user_pin"]))
    pins_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(pins_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(pins, fh)
    return True


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def _util(conf_path: Path, *args: str, answers: tuple[str, ...] = ()) -> str:
    exe = shutil.which("softhsm2-util")
    if exe is None:
        raise HsmUnavailable("softhsm2-util introuvable : installez SoftHSM2 (apt-get install softhsm2).")
    env = dict(os.environ, SOFTHSM2_CONF=str(conf_path))
    if answers:
        returncode, output = _run_prompted([exe, *args], env, answers)
        stdout = stderr = output
    else:
        proc = subprocess.run([exe, *args], env=env, capture_output=True, text=True, check=False)
        returncode, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    if returncode != 0:
        raise HsmUnavailable(f"softhsm2-util {args[0]} a échoué : {stderr.strip() or stdout.strip()}")
    return stdout


def _run_prompted(command: list[str], env: dict, answers: tuple[str, ...], timeout: float = 30) -> tuple[int, str]:
    """Run ``command`` on a pseudo-terminal (softhsm2-util reads PINs from its terminal), answering each
    ``…PIN:`` prompt in turn."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(command, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    output, answered_at, pending = b"", 0, list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if pending and output[answered_at:].rstrip().endswith(b"PIN:"):
                os.write(master, pending.pop(0).encode() + b"\n")
                answered_at = len(output)
    finally:
        os.close(master)
    try:
        returncode = proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        returncode = proc.wait()
    return returncode, output.decode(errors="replace")
