"""Issue 27 (2, 4): an http-01 look is bounded in bytes and in time whatever the server does (a 600 MB answer, one
byte every half second), and never reaches a reserved or private address unless the test network is named."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time

import pytest

from app.domain.domain_control import DomainError
from app.operations import domain_control
from tests.domains.servers import DnsServer

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)


class HostileServer:
    """A web server on loopback that answers every request the way ``mode`` says: « big » streams without end,
    « drip » sends its headers one byte every half second, « silent » accepts and never answers."""

    def __init__(self, mode: str):
        self.mode, self.sent, self.stopped = mode, 0, threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.recv(4096)
            if self.mode == "big":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 629145600\r\n\r\n")
                chunk = b"x" * 65536
                while not self.stopped.is_set() and self.sent < 629145600:
                    conn.sendall(chunk)
                    self.sent += len(chunk)
            elif self.mode == "drip":
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello":
                    if self.stopped.wait(0.5):
                        return
                    conn.sendall(bytes([byte]))
            else:
                self.stopped.wait(60)

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()


@pytest.fixture()
def dns_server():
    server = DnsServer()
    server.zone.a["www.chu-essai.example"] = "127.0.0.1"
    yield server
    server.stop()


@pytest.mark.parametrize("mode", ["big", "drip", "silent"])
def test_an_http_01_look_ends_within_its_deadline_having_read_little(dns_server, mode):
    server = HostileServer(mode)
    checker = domain_control.Checker(resolver="127.0.0.1", dns_port=dns_server.port, http_port=server.port,
                                     timeout=1.0, deadline=2.0, networks=LOOPBACK)
    started = time.monotonic()
    try:
        with pytest.raises(DomainError, match="Aucun fichier"):
            domain_control.look_for(checker, "http-01", "www.chu-essai.example", "jeton", served="attendu",
                                    published="attendu")
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert elapsed < 3.0, elapsed  # the deadline (2 s), not the server, ends the look
    if mode == "big":
        assert server.sent < 64 * 1024 * 1024  # the answer was never read through (the socket closed early)


def test_reserved_and_private_addresses_are_never_reached(dns_server):
    checker = domain_control.Checker(resolver="127.0.0.1", dns_port=dns_server.port, timeout=1.0)
    with pytest.raises(DomainError, match=r"adresse réservée ou privée \(127\.0\.0\.1\)"):
        checker.http("www.chu-essai.example", "jeton")
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                    "0.0.0.0",  # noqa: S104 - an address refused, not bound
                    "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "64:ff9b::a00:1"):
        assert not checker.reachable(address), address
    assert checker.reachable("193.51.24.1") and checker.reachable("2001:660::1")
    assert domain_control.Checker(networks=LOOPBACK).reachable("127.0.0.1")
