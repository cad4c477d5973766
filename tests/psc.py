"""Drive the PSC sandbox over real HTTP as a browser would, for the Flask test client's login flow."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests


class SandboxBrowser:
    def __init__(self, sandbox_url: str):
        self.base = sandbox_url
        self.http = requests.Session()

    def open_authorize(self, location: str) -> str:
        page = self.http.get(location, timeout=10)
        page.raise_for_status()
        return re.search(r'action="/auth/([^/"]+)/choose"', page.text).group(1)

    def choose(self, req_id: str, national_id: str, method: str) -> requests.Response:
        return self.http.post(f"{self.base}/auth/{req_id}/choose", data={"national_id": national_id, "method": method},
                              allow_redirects=False, timeout=10)

    def pin(self, req_id: str, pin: str) -> requests.Response:
        return self.http.post(f"{self.base}/auth/{req_id}/pin", data={"pin": pin}, allow_redirects=False, timeout=10)

    def approve_on_phone(self, req_id: str) -> None:
        self.http.post(f"{self.base}/mobile/{req_id}", timeout=10).raise_for_status()

    def mobile_status(self, req_id: str) -> requests.Response:
        return self.http.get(f"{self.base}/auth/{req_id}/mobile/status", headers={"HX-Request": "true"}, timeout=10)

    def faults(self, *names: str) -> None:
        self.http.post(f"{self.base}/sandbox/faults", json={"faults": list(names)}, timeout=10).raise_for_status()


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def psc_callback_url(client, sandbox_url: str, national_id: str, method: str = "card", pin: str = "1234") -> str:
    """Run the flow up to the callback URL the sandbox sends the browser back to."""
    start = client.get("/auth/psc/login")
    assert start.status_code == 303, start.status_code
    browser = SandboxBrowser(sandbox_url)
    req_id = browser.open_authorize(start.headers["Location"])
    chosen = browser.choose(req_id, national_id, method)
    if method == "mobile":
        assert browser.mobile_status(req_id).status_code == 204
        browser.approve_on_phone(req_id)
        return browser.mobile_status(req_id).headers["HX-Redirect"]
    answer = browser.pin(req_id, pin)
    assert answer.status_code == 303, answer.text
    assert chosen.status_code == 303
    return answer.headers["Location"]


def psc_login(client, sandbox_url: str, national_id: str, method: str = "card"):
    return client.get(callback_path(psc_callback_url(client, sandbox_url, national_id, method)))
