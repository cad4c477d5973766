"""Proving control of a domain: a technical administrator with the SERV family on a structure asks for a domain,
places the challenge (a TXT record at ``_acme-challenge.<domain>``, or a file under
``http://<domain>/.well-known/acme-challenge/``), then asks the portal to check it. The proof is recorded with its
date, method and who asked (audited); it counts for the reuse period of the policy in force."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

import dns.exception
import dns.resolver
from sqlmodel import Session, select

from app import metrics
from app.db import release_if_untouched
from app.domain.caa import CaaRecord, refusal
from app.domain.domain_control import (
    DNS_LABEL,
    HTTP_PATH,
    METHODS,
    DnsUnanswered,
    DomainError,
    expected_value,
    new_token,
    parse_domain,
    proof_valid_until,
    within,
)
from app.domain.inputs import parse_int
from app.domain.permissions import structure_and_its_ej
from app.models import DomainControl, ServDomain, Structure
from app.models.base import aware, utcnow
from app.operations import audit

MAX_PENDING = 20  # challenges a structure may have waiting at once


MAX_REDIRECTS = 10
MAX_ANSWER = 512  # bytes of an http-01 answer read at most: a key authorization is under 100


@dataclass(frozen=True)
class Checker:
    """The network side: the resolver asked for TXT and A records and the port of http-01 (80 in production; tests
    run a DNS server and a web server of their own on loopback, as Let's Encrypt's test server does).

    Every look is bounded: ``timeout`` for the DNS and for each connection or read, ``deadline`` for a whole http-01
    look however slowly the server drips, ``MAX_ANSWER`` bytes read. Reserved and private addresses (loopback,
    RFC 1918, link-local, ULA…) are never reached unless ``networks`` names them (the test network)."""

    resolver: str = ""  # one resolver, or several « host[:port] » separated by commas: one perspective each
    dns_port: int = 53
    http_port: int = 80
    https_port: int = 443
    timeout: float = 5.0
    deadline: float = 10.0
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    quorum: int = 0  # perspectives that must agree; 0: all of one or two, all but one of three or more

    def perspectives(self) -> list[Checker]:
        """One checker per resolver named: each looks on its own, as a network perspective (CA/B Forum SC-067)."""
        entries = [entry.strip() for entry in self.resolver.split(",") if entry.strip()]
        if len(entries) <= 1 and ":" not in (entries[0] if entries else ""):
            return [self]
        views = []
        for entry in entries:
            host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
            views.append(replace(self, resolver=(host or entry).strip("[]"),
                                 dns_port=parse_int(port, low=1, high=65535) or self.dns_port))
        return views

    def needed(self, count: int) -> int:
        return min(self.quorum, count) if self.quorum else (count if count <= 2 else count - 1)

    def _resolver(self) -> dns.resolver.Resolver:
        first = self.perspectives()[0]
        if first is not self:  # several perspectives: a single look (CAA) asks the first
            return first._resolver()
        resolver = dns.resolver.Resolver(configure=not self.resolver)
        if self.resolver:
            resolver.nameservers = [self.resolver]
            resolver.port = self.dns_port
        resolver.lifetime = self.timeout
        return resolver

    def txt(self, name: str) -> list[str]:
        try:
            answer = self._resolver().resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as exc:
            raise DnsUnanswered(f"Le DNS n’a pas répondu pour {name} ({type(exc).__name__}) : réessayez plus tard.",
                              field="verification") from None
        return [b"".join(record.strings).decode(errors="replace") for record in answer]

    def caa(self, name: str) -> tuple[str, list[CaaRecord]]:
        """The relevant CAA record set of ``name`` (RFC 8659 § 3): the first non-empty one climbing towards the root,
        with the name that holds it; ("", []) when there is none. A DNS failure refuses (never read as « none »)."""
        labels = name.split(".")
        for start in range(len(labels) - 1):
            owner = ".".join(labels[start:])
            try:
                answer = self._resolver().resolve(owner, "CAA")
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                continue
            except dns.exception.DNSException as exc:
                raise DnsUnanswered(f"Le DNS n’a pas répondu pour les enregistrements CAA de {owner} "
                                  f"({type(exc).__name__})\u00a0: réessayez plus tard.", field="dns_names") from None
            return owner, [CaaRecord(r.flags, r.tag.decode(errors="replace"), r.value.decode(errors="replace"))
                           for r in answer]
        return "", []

    def reachable(self, address: str) -> bool:
        """Whether a check may connect to ``address``: a public one, or one of the named test networks."""
        ip = ipaddress.ip_address(address)
        if any(ip in network for network in self.networks):
            return True
        return ip.is_global and (_inner(ip) is None or _inner(ip).is_global)

    def _address(self, name: str) -> str | None:
        for kind in ("A", "AAAA"):
            try:
                return next(iter(self._resolver().resolve(name, kind))).address
            except (dns.resolver.NoAnswer, StopIteration):
                continue  # an IPv6-only server
            except dns.exception.DNSException:
                return None
        return None

    def http(self, name: str, token: str) -> str | None:
        """The file the domain's web server serves, reached at the address the same resolver gives for it, following
        up to MAX_REDIRECTS redirects as RFC 8555 § 8.3 asks (http or https, on ports 80 and 443 or the test ports,
        every hop's address checked); None when nothing usable answered within the deadline (the DNS included)."""
        started = time.monotonic()
        url = f"http://{name}{HTTP_PATH}{token}"
        for _hop in range(MAX_REDIRECTS + 1):
            target = urlsplit(url)
            host, scheme = (target.hostname or "").lower().rstrip("."), target.scheme
            allowed = {"http": {80, self.http_port}, "https": {443, self.https_port}}.get(scheme, set())
            port = target.port or (self.http_port if scheme == "http" else self.https_port)
            if port not in allowed:
                raise DomainError(f"Redirection refusée vers {scheme}://{host}:{port}\u00a0: seuls http et https sur "
                                  "les ports 80 et 443 sont suivis.", field="verification")
            address = self._address(host)
            if address is None:
                return None
            if not self.reachable(address):
                raise DomainError(f"{host} désigne une adresse réservée ou privée ({address})\u00a0: le portail ne "
                                  "vérifie que des serveurs joignables depuis Internet.", field="verification")
            left = self.deadline - (time.monotonic() - started)
            if left <= 0:
                return None
            status, found = _bounded_get(address, port, host, target.path + (f"?{target.query}" if target.query
                                                                               else ""),
                                         timeout=min(self.timeout, left), deadline=left, tls=scheme == "https")
            if status in (301, 302, 303, 307, 308) and found:
                url = urljoin(url, found)
                continue
            return found if status == 200 else None
        raise DomainError(f"Plus de {MAX_REDIRECTS} redirections depuis http://{name}{HTTP_PATH}…\u00a0: arrêté.",
                          field="verification")


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _inner(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64): a private one hides behind a global prefix."""
    if ip.version == 4:
        return None
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None


def checker_for(settings) -> Checker:
    """The checker the settings describe (read at each call: a setting changed since is seen)."""
    from app.config import ipaddress_networks

    return Checker(resolver=settings.dns_resolver, dns_port=settings.dns_port, http_port=settings.http01_port,
                   https_port=settings.https01_port, networks=ipaddress_networks(settings.domain_check_networks),
                   quorum=settings.domain_check_quorum)


_settings = None  # the application's settings, for the CAA check at issuance (configure)


def configure(settings) -> None:
    """Where issuance's CAA check looks (resolver) and who the portal is (CAA_IDENTITY): set by the app factory."""
    global _settings
    _settings = settings


def check_issuance(names: list[str]) -> None:
    """The CAA check every SERV SSL name passes before the HSM signs (pages, API, ACME)."""
    if _settings is not None and names:
        check_caa(checker_for(_settings), names, frozenset({_settings.caa_issuer}))


def check_caa(checker: Checker, names: list[str], identities: frozenset[str]) -> None:
    """Refuse, naming the record and where it is, a name whose CAA records do not allow this CA to issue."""
    for name in names:
        owner, records = checker.caa(name)
        refused = refusal(records, identities)
        if refused is not None:
            raise DomainError(f"L’enregistrement DNS «\u00a0{owner}. {refused}\u00a0» n’autorise pas le portail "
                              f"({', '.join(sorted(identities))}) à délivrer un certificat pour {name}\u00a0: "
                              "ajoutez un enregistrement CAA «\u00a0issue\u00a0» à son nom, ou retirez celui-ci.",
                              field="dns_names")


class _Https(http.client.HTTPSConnection):
    """TLS to the resolved address with the domain's name as SNI; the certificate is not judged (an http-01
    redirect to https proves control by the file served, as Let's Encrypt does)."""

    def __init__(self, address: str, port: int, *, sni: str, timeout: float):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        super().__init__(address, port, timeout=timeout, context=context)
        self.sni = sni

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.sni)


def _bounded_get(address: str, port: int, host: str, path: str, *, timeout: float, deadline: float,
                 tls: bool = False) -> tuple[int, str | None]:
    """GET ``path`` from ``address``: (status, body) for a 200 with at most MAX_ANSWER bytes read, (status, Location)
    for a redirect, (0, None) when nothing usable came; each step within ``timeout`` and the whole within
    ``deadline``: past it, a watchdog shuts the socket down and the read ends at once."""
    connection = (_Https(address, port, sni=host, timeout=timeout) if tls
                  else http.client.HTTPConnection(address, port, timeout=timeout))
    watchdog = threading.Timer(deadline, _shut, (connection,))
    watchdog.start()
    try:
        connection.request("GET", path, headers={"Host": host, "User-Agent": "portail-sante-validation",
                                                 "Accept": "*/*", "Connection": "close"})
        response = connection.getresponse()
        if response.status != 200:
            location = response.getheader("Location")
            return response.status, location[:2000] if location else None
        body = response.read(MAX_ANSWER + 1)
    except (OSError, http.client.HTTPException, ValueError):
        return 0, None
    finally:
        watchdog.cancel()
        connection.close()
    if len(body) > MAX_ANSWER:
        return 200, None
    return 200, body.decode(errors="replace").strip()


def _shut(connection: http.client.HTTPConnection) -> None:
    with contextlib.suppress(OSError, AttributeError):
        connection.sock.shutdown(socket.SHUT_RDWR)


def declared(db: Session, structure: Structure) -> list[str]:
    """The structure's declared domains, and its EJ's when it is a site."""
    held = structure_and_its_ej(structure)
    return sorted(set(db.exec(select(ServDomain.name).where(ServDomain.structure_id.in_(held))).all()))


def ask(db: Session, structure: Structure, *, text: str, method: str, actor: str) -> DomainControl:
    """A new challenge for ``text`` on ``structure`` (nothing checked yet)."""
    name = parse_domain(text)
    if not any(within(name, domain) for domain in declared(db, structure)):
        raise DomainError(f"« {name} » n’est dans aucun domaine déclaré par la structure : déclarez d’abord son "
                          "domaine (formulaire F413 ou F503), puis prouvez-le ici.")
    if method not in METHODS:
        raise DomainError("Choisissez la méthode de vérification.", field="methode")
    pending = db.exec(select(DomainControl.id).where(DomainControl.structure_id == structure.id,
                                                     DomainControl.validated_at.is_(None))).all()
    if len(pending) >= MAX_PENDING:
        raise DomainError(f"Au plus {MAX_PENDING} vérifications en attente par structure : terminez ou supprimez "
                          "les précédentes.")
    control = DomainControl(structure_id=structure.id, name=name, method=method, token=new_token(),
                            requested_by=actor)
    db.add(control)
    db.flush()
    audit.record(db, actor=actor, action="domain.challenge_asked", object_type="structure",
                 object_id=structure.id, after={"domain": name, "method": method, "control": control.id})
    return control


def check(db: Session, control: DomainControl, checker: Checker, *, actor: str,
          now: datetime | None = None) -> DomainControl:
    """Look for the challenge now (no transaction held meanwhile); record the proof, or refuse saying what was
    found."""
    value, method, name, token = expected_value(control.token), control.method, control.name, control.token
    release_if_untouched(db)
    try:
        look_for(checker, method, name, token, served=value, published=value)
    except DomainError:
        metrics.DOMAIN_CHECKS.labels(method, "invalid").inc()
        raise
    metrics.DOMAIN_CHECKS.labels(method, "valid").inc()
    db.refresh(control)
    if control.validated_at is not None:  # proven meanwhile by a concurrent check
        return control
    control.validated_at = now or utcnow()
    control.validated_by = actor
    db.add(control)
    db.flush()
    _proven(db, control, actor)
    return control


CHECK_STALE = timedelta(minutes=2)  # a check asked this long ago and not done: its worker died, look again


def ask_check(db: Session, control: DomainControl, now: datetime | None = None) -> bool:
    """« Vérifier »: mark the check asked; the job engine looks (:func:`run_check`). False when there is nothing
    to start (proven, or a check under way)."""
    now = now or utcnow()
    if control.validated_at is not None or (control.checking_since
                                            and aware(control.checking_since) > now - CHECK_STALE):
        return False
    control.checking_since, control.last_error = now, ""
    db.add(control)
    db.flush()
    return True


def run_check(db: Session, checker: Checker, control_id: int, actor: str) -> str:
    """The job engine's look: the proof recorded, or what was found instead kept on the row for the page."""
    control = db.get(DomainControl, control_id)
    if control is None or control.checking_since is None or control.validated_at is not None:
        return "déjà réglée"
    try:
        check(db, control, checker, actor=actor)
    except DomainError as exc:
        db.refresh(control)
        control.last_error = str(exc)[:300]
    control.checking_since = None
    db.add(control)
    db.flush()
    return f"{control.name} ({control.method}) : {'prouvé' if control.validated_at else 'non trouvé'}"


def stale_checks(db: Session, now: datetime | None = None) -> list[int]:
    """Checks asked and never done (the worker that had them was killed)."""
    cutoff = (now or utcnow()) - CHECK_STALE
    return list(db.exec(select(DomainControl.id).where(DomainControl.validated_at.is_(None),
                                                       DomainControl.checking_since.is_not(None),
                                                       DomainControl.checking_since < cutoff)).all())


def look_for(checker: Checker, method: str, name: str, token: str, *, served: str, published: str) -> None:
    """Find the file ``served`` under the token (http-01) or the TXT record ``published`` (dns-01) for ``name``
    from every perspective at once, and require the quorum of them to agree (one hijacked route or poisoned resolver
    cannot prove a domain); refuse saying what was found. « Mes domaines » and the ACME server check the same way."""
    views = checker.perspectives()
    if len(views) == 1:
        return _look_once(views[0], method, name, token, served=served, published=published)
    with ThreadPoolExecutor(len(views)) as pool:
        outcomes = list(pool.map(lambda view: _outcome(view, method, name, token, served, published), views))
    failures = [outcome for outcome in outcomes if outcome is not None]
    agreeing, needed = len(views) - len(failures), checker.needed(len(views))
    if agreeing < needed:
        raise DomainError(f"{failures[0]} (trouvé depuis {agreeing} point(s) de vue sur {len(views)} ; "
                          f"{needed} doivent concorder)", field="verification")


def _outcome(view: Checker, method, name, token, served, published) -> DomainError | None:
    try:
        _look_once(view, method, name, token, served=served, published=published)
    except DomainError as exc:
        return exc
    return None


def _look_once(checker: Checker, method: str, name: str, token: str, *, served: str, published: str) -> None:
    if method == "dns-01":
        record = f"{DNS_LABEL}.{name}"
        found = checker.txt(record)
        if not found:
            raise DomainError(f"Aucun enregistrement TXT à {record} : ajoutez-le dans la zone DNS, attendez sa "
                              "propagation, puis vérifiez à nouveau.", field="verification")
        if published not in found:
            raise DomainError(f"L’enregistrement TXT à {record} ne contient pas la valeur attendue (trouvé : "
                              f"« {found[0][:60]} »).", field="verification")
    else:
        found = checker.http(name, token)
        if found is None:
            raise DomainError(f"Aucun fichier à http://{name}{HTTP_PATH}{token} : déposez-le sur le serveur web "
                              "du domaine (port 80), puis vérifiez à nouveau.", field="verification")
        if found != served:
            raise DomainError("Le fichier publié ne contient pas la valeur attendue.", field="verification")


def record_proof(db: Session, *, structure_id: int, name: str, method: str, token: str, actor: str,
                 now: datetime | None = None) -> DomainControl:
    """A proof found by another way than « Mes domaines » (an ACME challenge): recorded and audited the same."""
    now = now or utcnow()
    control = DomainControl(structure_id=structure_id, name=name, method=method, token=token, requested_by=actor,
                            created_at=now, validated_at=now, validated_by=actor)
    db.add(control)
    db.flush()
    _proven(db, control, actor)
    return control


def _proven(db: Session, control: DomainControl, actor: str) -> None:
    audit.record(db, actor=actor, action="domain.proven", object_type="structure", object_id=control.structure_id,
                 after={"domain": control.name, "method": control.method, "control": control.id,
                        "until": proof_valid_until(aware(control.validated_at)).isoformat()})


def _proofs(db: Session, structure: Structure) -> list[tuple[str, str, datetime]]:
    """(name, method, until) of each proof the structure (or its EJ, for a site) made."""
    return [(name, method, until) for name, method, _at, until in _dated_proofs(db, structure)]


def _dated_proofs(db: Session, structure: Structure) -> list[tuple[str, str, datetime, datetime]]:
    rows = db.exec(select(DomainControl.name, DomainControl.method, DomainControl.validated_at).where(
        DomainControl.structure_id.in_(structure_and_its_ej(structure)), DomainControl.validated_at.is_not(None))).all()
    return [(name, method, aware(at), proof_valid_until(aware(at))) for name, method, at in rows]


def covering_proof(db: Session, structure: Structure, name: str,
                   now: datetime | None = None) -> tuple[str, datetime, datetime] | None:
    """The proof in force that covers ``name`` and lasts longest, as (method, made at, valid until); None when
    there is none."""
    now = now or utcnow()
    found = [(method, at, until) for proven_name, method, at, until in _dated_proofs(db, structure)
             if until > now and proof_covers(method, proven_name, name)]
    return max(found, key=lambda proof: proof[2]) if found else None


def proof_covers(method: str, proven_name: str, name: str) -> bool:
    """A dns-01 proof covers the domain and every name under it; an http-01 proof only the very name whose web
    server answered (Baseline Requirements 3.2.2.4.18 and 19, as Let's Encrypt applies them)."""
    return within(name, proven_name) if method == "dns-01" else name == proven_name


def proven(db: Session, structure: Structure, now: datetime | None = None) -> list[str]:
    """The names the structure (or its EJ, for a site) proved within the reuse period of the policy."""
    now = now or utcnow()
    return sorted({name for name, _method, until in _proofs(db, structure) if until > now})


def covers(db: Session, structure: Structure, name: str, now: datetime | None = None) -> bool:
    """Whether a proof within its reuse period covers ``name`` (see ``proof_covers``)."""
    now = now or utcnow()
    return any(until > now and proof_covers(method, proven_name, name)
               for proven_name, method, until in _proofs(db, structure))


def expired_for(db: Session, structure: Structure, name: str, now: datetime) -> tuple[str, datetime] | None:
    """The proven name covering ``name`` whose last proof expired, with its end; None when none did."""
    ends = {}
    for proven_name, method, until in _proofs(db, structure):
        if proof_covers(method, proven_name, name):
            ends[proven_name] = max(ends.get(proven_name, until), until)
    return max(ends.items(), key=lambda item: item[1]) if ends else None
