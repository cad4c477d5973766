"""Quotas on what costs the portal a wait on the outside world (a domain check), counted in the rate limiter's
storage: shared by every node with Redis, per process in memory otherwise (and while Redis is away)."""

from __future__ import annotations

import logging
import time

from limits import parse

from app.extensions import limiter

log = logging.getLogger(__name__)


def spend(name: str, limit: str, *identifiers: str) -> int | None:
    """Count one use of ``name`` for ``identifiers`` against ``limit`` (« 30 per hour »): None when allowed, else the
    seconds until the window frees one."""
    if not limiter.enabled:
        return None
    item = parse(limit)
    strategy = limiter.limiter
    try:
        if strategy.hit(item, name, *identifiers):
            return None
        reset = strategy.get_window_stats(item, name, *identifiers).reset_time
    except Exception as exc:  # noqa: BLE001 - a storage gone (Redis) must not refuse the user: counted again later
        log.warning("quota %s not counted: %s", name, type(exc).__name__)
        return None
    return max(1, int(reset - time.time()))


def check_domain_quota(structure_id: int) -> int | None:
    """One more domain check for this structure (pages and ACME together), or the seconds to wait."""
    from flask import current_app

    return spend("domain-check", current_app.config["SETTINGS"].domain_check_rate_limit, str(structure_id))
