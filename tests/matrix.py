"""The driver every route matrix shares: reads first, then changes; each route answered as the role expects."""

from __future__ import annotations

from collections.abc import Callable


def wrong_answers(app, browser, routes: dict, role: str, *, url_of: Callable[[str, str], str],
                  data_of: Callable[[str, str], dict], expected_of: Callable[[str, str], dict] | None = None,
                  multipart: bool = False) -> list[tuple]:
    """(method, url, got, expected) for every route whose answer differs; ``browser`` None is anonymous (a
    client of its own, without cookies)."""
    wrong = []
    for method, rule in sorted(routes, key=lambda r: (r[0] == "POST", r)):
        url = url_of(method, rule)
        expected = (expected_of or (lambda m, r: routes[(m, r)]))(method, rule)[role]
        data = data_of(method, rule) if method == "POST" else None
        if browser is None:
            response = app.test_client().open(url, method=method, data=data)
        elif method == "POST":
            response = browser.post(url, data, **({"content_type": "multipart/form-data"} if multipart else {}))
        else:
            response = browser.get(url)
        if response.status_code != expected:
            wrong.append((method, url, response.status_code, expected))
    return wrong
