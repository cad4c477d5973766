"""Issue 27 (2, 4): an http-01 look is bounded in bytes and in time whatever the server does (a 600 MB answer, one
byte every half second), and never reaches a reserved or private address unless the test network is named."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from dataclasses import replace

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


def _tls_context(tmp_path):
    """A self-signed certificate for the loopback HTTPS server (http-01 does not judge it)."""
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.chu-essai.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    return context


def test_redirects_are_followed_within_bounds(dns_server, tmp_path):
    """Issue 29 (3): RFC 8555 § 8.3 — a site whose port 80 redirects to https (or elsewhere on itself) passes; a hop
    to another port, to a reserved address or an eleventh redirect does not."""
    from tests.domains.servers import WebServer

    web, secure = WebServer(), WebServer(tls=_tls_context(tmp_path))
    checker = domain_control.Checker(resolver="127.0.0.1", dns_port=dns_server.port, http_port=web.port,
                                     https_port=secure.port, timeout=2.0, deadline=5.0, networks=LOOPBACK)
    path = "/.well-known/acme-challenge/jeton"
    try:
        web.redirects[path] = f"https://www.chu-essai.example{path}"
        secure.redirects[path] = "/ailleurs/jeton"
        secure.files["/ailleurs/jeton"] = "attendu"
        assert checker.http("www.chu-essai.example", "jeton") == "attendu"
        assert secure.hosts[-1] == "www.chu-essai.example"  # the name, not the address, on every hop

        web.redirects[path] = f"http://www.chu-essai.example:{web.port + 1}{path}"
        with pytest.raises(DomainError, match="Redirection refusée"):
            checker.http("www.chu-essai.example", "jeton")
        dns_server.zone.a["interne.chu-essai.example"] = "10.1.2.3"
        web.redirects[path] = f"http://interne.chu-essai.example{path}"
        with pytest.raises(DomainError, match=r"adresse réservée ou privée \(10\.1\.2\.3\)"):
            checker.http("www.chu-essai.example", "jeton")
        web.redirects[path] = path  # a loop
        with pytest.raises(DomainError, match="Plus de 10 redirections"):
            checker.http("www.chu-essai.example", "jeton")
    finally:
        web.stop()
        secure.stop()


def test_perspectives_that_disagree_do_not_prove_a_domain():
    """Issue 29 (4): two resolvers on loopback, two perspectives. One sees the challenge's TXT record, the other (a
    hijacked route, a poisoned cache) does not: refused, saying how many agreed; both see it: proven. With a quorum
    of one, the first suffices; the resolvers' list is the DNS_RESOLVER setting."""
    seeing, blind = DnsServer(), DnsServer()
    try:
        seeing.zone.txt["_acme-challenge.chu-essai.example"] = ["attendu"]
        checker = domain_control.Checker(resolver=f"127.0.0.1:{seeing.port}, 127.0.0.1:{blind.port}",
                                         timeout=2.0)
        assert len(checker.perspectives()) == 2
        with pytest.raises(DomainError, match=r"trouvé depuis 1 point\(s\) de vue sur 2\u00a0; 2 doivent concorder"):
            domain_control.look_for(checker, "dns-01", "chu-essai.example", "jeton", served="", published="attendu")
        domain_control.look_for(replace(checker, quorum=1), "dns-01", "chu-essai.example", "jeton", served="",
                                published="attendu")
        blind.zone.txt["_acme-challenge.chu-essai.example"] = ["attendu"]
        domain_control.look_for(checker, "dns-01", "chu-essai.example", "jeton", served="", published="attendu")
        assert checker.needed(3) == 2 and checker.needed(2) == 2 and checker.needed(1) == 1
    finally:
        seeing.stop()
        blind.stop()
