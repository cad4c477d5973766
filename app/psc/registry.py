"""Test identities added after the seeds, as ANS's EDIT tool adds them: in development, a card the agency
fabricates and activates becomes a sandbox identity (card with PIN, and e-CPS), so that its holder can log in.

One JSON file in the instance directory, shared by the portal (which writes) and the sandbox (which reads);
never used in production, where the real Pro Santé Connect knows the cards."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def load(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return []


def register(path: Path, *, national_id: str, civility: str, given_name: str, family_name: str,
             card_type: str, serial: str) -> None:
    """Add (or replace) the holder of a newly activated card; written atomically."""
    add(path, [{"national_id": national_id, "civility": "MME" if civility == "MME" else "M",
                "given_name": given_name, "family_name": family_name, "profession_code": "", "category": "",
                "cards": [[card_type, serial, False]], "activities": []}])


def add(path: Path, identities: list[dict]) -> None:
    """Add (or replace, by national id) whole identities — test cards ordered by an F414 — in one atomic write."""
    replaced = {i["national_id"] for i in identities}
    known = [i for i in load(path) if i.get("national_id") not in replaced] + identities
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".psc-sandbox-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(known, out, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


def statuses_path(path: Path) -> Path:
    """Where the card statuses live, beside the identities: the stand-in for ANS's card management, which tells the
    real Pro Santé Connect which cards are opposed or revoked."""
    return path.with_name(f"{path.stem}-cartes.json")


def load_statuses(path: Path) -> dict[str, str]:
    try:
        found = json.loads(statuses_path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def set_statuses(path: Path, changes: dict[str, str]) -> None:
    """Record cards' new statuses by serial number (« opposee », « revoquee », « active »…), written atomically."""
    known = load_statuses(path) | changes
    target = statuses_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".psc-sandbox-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(known, out, ensure_ascii=False, indent=1)
    os.replace(tmp, target)
