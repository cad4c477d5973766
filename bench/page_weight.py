"""What a cold visit downloads: each bench page opened in a fresh Chromium context (empty cache), the bytes on the
wire by kind (HTML, CSS, JavaScript, fonts, images), as DevTools' transfer size counts them (encoded bodies).

Run: .venv/bin/python bench/page_weight.py   (issue 31's goal: a cold page ≤ 250 KiB)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pages import prepare, start  # noqa: E402
from bench.servers import free_port, wait_for  # noqa: E402

PAGES = ("accueil (anonyme)", "tableau de bord (connecté)", "étape F301, 3 titulaires (connecté)",
         "file d’instruction (opérateur)")


def kind(url: str, content_type: str) -> str:
    if "font" in content_type or url.endswith((".woff2", ".woff")):
        return "polices"
    for key, label in (("css", "CSS"), ("javascript", "JavaScript"), ("html", "HTML"), ("image", "images")):
        if key in content_type:
            return label
    return "autres"


def weigh(browser, url: str, cookie: str, port: int) -> Counter:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    if cookie:
        context.add_cookies([{"name": "portail_session", "value": cookie, "domain": "127.0.0.1", "path": "/"}])
    page = context.new_page()
    sizes: Counter = Counter()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url, wait_until="networkidle")
    for response in responses:
        sent = response.request.sizes()
        sizes[kind(response.url, response.headers.get("content-type", ""))] += (
            sent["responseBodySize"] + sent["responseHeadersSize"])
    context.close()
    return sizes


def main() -> None:
    from playwright.sync_api import sync_playwright

    from bench.databases import throwaway_database

    work = Path(tempfile.mkdtemp(prefix="bench-weight-"))
    with throwaway_database(work) as url:
        env, pages = prepare(work, url)
        port = free_port()
        portal = start([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bench.floor_app:app"], env,
                       port, work / "portal.log")
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz", portal)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
                print(f"{'page':40} {'total':>9} {'HTML':>7} {'CSS':>7} {'JS':>7} {'polices':>8} {'images':>7}")
                for name in PAGES:
                    path, cookie = pages[name]
                    sizes = weigh(browser, f"http://127.0.0.1:{port}{path}", cookie, port)
                    kib = {k: v / 1024 for k, v in sizes.items()}
                    print(f"{name:40} {sum(kib.values()):7.0f} Ki {kib.get('HTML', 0):7.1f} {kib.get('CSS', 0):7.1f} "
                          f"{kib.get('JavaScript', 0):7.1f} {kib.get('polices', 0):8.1f} {kib.get('images', 0):7.1f}")
                browser.close()
        finally:
            portal.terminate()
            portal.wait(timeout=20)


if __name__ == "__main__":
    main()
