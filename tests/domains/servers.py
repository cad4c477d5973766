"""A real authoritative DNS server (dnslib) and a real web server on loopback, whose TXT records and challenge
files the tests set: the portal's checks go over the network as in production, only the ports differ."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from dnslib import CAA, QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from tests.conftest import free_port


class Zone(BaseResolver):
    """TXT and A records set by the test, plus TXT records appended to ``hook_file`` (« name value » lines) by an
    ACME client's hook running in another process."""

    def __init__(self, hook_file: Path | None = None):
        self.txt: dict[str, list[str]] = {}
        self.a: dict[str, str] = {}
        self.caa: dict[str, list[tuple[int, str, str]]] = {}  # name -> (flags, tag, value)
        self.hook_file = hook_file

    def _from_hooks(self) -> None:
        if self.hook_file is None or not self.hook_file.exists():
            return
        for line in self.hook_file.read_text().splitlines():
            name, _, value = line.strip().partition(" ")
            name = name.rstrip(".").lower()
            if value and value not in self.txt.setdefault(name, []):
                self.txt[name].append(value)

    def resolve(self, request, handler):
        self._from_hooks()
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        if request.q.qtype == QTYPE.TXT and name in self.txt:
            for value in self.txt[name]:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=1))
        elif request.q.qtype == QTYPE.A and name in self.a:
            reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(self.a[name]), ttl=1))
        elif request.q.qtype == QTYPE.CAA and name in self.caa:
            for flags, tag, value in self.caa[name]:
                reply.add_answer(RR(request.q.qname, QTYPE.CAA, rdata=CAA(flags, tag, value), ttl=1))
        elif not any(n == name or n.endswith("." + name) for n in (*self.txt, *self.a, *self.caa)):
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class DnsServer:
    def __init__(self, hook_file: Path | None = None):
        self.zone = Zone(hook_file)
        self.port = free_port()
        self.server = DNSServer(self.zone, port=self.port, address="127.0.0.1", logger=DNSLogger("-request,-reply"))
        self.server.start_thread()

    def stop(self):
        self.server.stop()


class WebServer:
    def __init__(self, tls=None):
        self.files: dict[str, str] = {}
        self.redirects: dict[str, str] = {}  # path -> Location (302)
        self.hosts: list[str] = []  # the Host header of each request, in order
        files, redirects, hosts = self.files, self.redirects, self.hosts

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                hosts.append(self.headers.get("Host", ""))
                if self.path in redirects:
                    self.send_response(302)
                    self.send_header("Location", redirects[self.path])
                    self.end_headers()
                    return
                body = files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                if body is not None:
                    self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if tls is not None:  # an ssl.SSLContext: the same server over TLS
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
