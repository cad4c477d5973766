"""Issue 31 (weight): the icon stylesheet holds the icons the pages use and no other, each icon a template uses is
in it, the fonts hold French text's glyphs only, and stylesheets go out Brotli-compressed when the browser takes it.
(bench/page_weight.py measures a cold page: 366 KiB before, 206 KiB after.)"""

from __future__ import annotations

import re
from pathlib import Path

from fontTools.ttLib import TTFont

from app.web.assets import ICONS

APP = Path(__file__).resolve().parents[2] / "app"
VENDOR = APP / "static" / "vendor" / "dsfr"


def test_every_icon_a_page_uses_is_served_and_no_other():
    used = set()
    for path in [*APP.joinpath("templates").rglob("*.html"), *APP.joinpath("web").rglob("*.py"),
                 *APP.joinpath("views").rglob("*.py"), APP / "static" / "js" / "portal.js"]:
        used |= set(re.findall(r"fr-icon-([a-z0-9-]+)", path.read_text()))
    assert used <= set(ICONS), f"add to app/web/assets.py ICONS: {sorted(used - set(ICONS))}"
    served = set(re.findall(r"\.fr-icon-([a-z0-9-]+)", (VENDOR / "utility" / "icons" / "icons.min.css").read_text()))
    assert set(ICONS) <= served and len(served) < 40, len(served)  # 1,044 in the DSFR's own


def test_the_fonts_hold_french_text_and_little_else():
    font = TTFont(VENDOR / "fonts" / "Marianne-Regular.woff2")
    glyphs = set(font.getBestCmap())
    assert {ord(c) for c in "àâçéèêëîïôœùûüÿÀÉÈÇŒ«»’–—…€\u00a0\u202f"} <= glyphs
    assert len(glyphs) < 300 and (VENDOR / "fonts" / "Marianne-Regular.woff2").stat().st_size < 30_000


def test_stylesheets_go_out_with_brotli_when_accepted(client, app):
    url = re.search(r'href="([^"]+dsfr\.min\.css)"', client.get("/").get_data(as_text=True)).group(1)
    brotli_answer = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    gzip_answer = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert brotli_answer.headers["Content-Encoding"] == "br" and gzip_answer.headers["Content-Encoding"] == "gzip"
    assert len(brotli_answer.data) < len(gzip_answer.data) < 100_000
    assert "Accept-Encoding" in brotli_answer.headers["Vary"]
