"""What the forms' effects may reach besides the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Means:
    """The HSM (revoking a card's certificates re-signs a CRL), and where test identities go: the PSC sandbox's
    registry in development and tests; None in production, where ANS's own tool makes them."""

    keystore: object = None
    sandbox: Callable[[list[dict]], None] | None = None
