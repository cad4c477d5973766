"""In-memory state of the sandbox (one process): authorization requests, codes, tokens, cards."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

CODE_TTL = 60
ACCESS_TOKEN_TTL = 120  # PSC access tokens live about two minutes
MAX_PIN_TRIES = 3


@dataclass
class AuthRequest:
    id: str
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str
    acr_values: str
    national_id: str = ""
    auth_mode: str = ""
    approved: bool = False
    created: float = field(default_factory=time.time)


@dataclass
class Grant:
    request: AuthRequest
    expires: float
    used: bool = False
    access_tokens: list[str] = field(default_factory=list)


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: dict[str, AuthRequest] = {}
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, tuple[str, str, float]] = {}  # token -> (national_id, auth_mode, expires)
        self.pin_failures: dict[str, int] = {}
        self.faults: set[str] = set()

    def new_request(self, **kw) -> AuthRequest:
        req = AuthRequest(id=secrets.token_urlsafe(16), **kw)
        with self.lock:
            self.requests[req.id] = req
        return req

    def issue_code(self, req: AuthRequest) -> str:
        code = secrets.token_urlsafe(32)
        with self.lock:
            self.codes[code] = Grant(request=req, expires=time.time() + CODE_TTL)
            self.requests.pop(req.id, None)
        return code

    def redeem(self, code: str) -> Grant | None:
        """The grant for a fresh code; a replayed code revokes the tokens it gave (RFC 6749 §4.1.2)."""
        with self.lock:
            grant = self.codes.get(code)
            if grant is None or grant.expires < time.time():
                return None
            if grant.used:
                for token in grant.access_tokens:
                    self.tokens.pop(token, None)
                return None
            grant.used = True
            return grant

    def new_access_token(self, grant: Grant) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = (grant.request.national_id, grant.request.auth_mode, time.time() + ACCESS_TOKEN_TTL)
            grant.access_tokens.append(token)
        return token

    def token_owner(self, token: str) -> tuple[str, str] | None:
        with self.lock:
            entry = self.tokens.get(token)
        if entry is None or entry[2] < time.time():
            return None
        return entry[0], entry[1]

    def card_blocked(self, national_id: str) -> bool:
        return self.pin_failures.get(national_id, 0) >= MAX_PIN_TRIES

    def wrong_pin(self, national_id: str) -> int:
        """Count a wrong PIN; returns the tries left."""
        with self.lock:
            self.pin_failures[national_id] = self.pin_failures.get(national_id, 0) + 1
            return max(0, MAX_PIN_TRIES - self.pin_failures[national_id])

    def right_pin(self, national_id: str) -> None:
        with self.lock:
            self.pin_failures.pop(national_id, None)

    def take_fault(self, name: str) -> bool:
        with self.lock:
            if name in self.faults:
                self.faults.discard(name)
                return True
            return False
