"""Make the DSFR's heavy assets as light as the portal needs them, at setup (called by bin/copy-assets):

- the icon stylesheet keeps the rules of the icons the pages use (``app.web.assets.ICONS``; a test checks that
  every icon in a template is listed there), instead of all 1,044;
- the Marianne fonts keep the glyphs of French text (Latin-1, the French ligatures and typographic punctuation),
  with fontTools' subsetter; a page then downloads a third of their weight;
- stylesheets and scripts get a Brotli copy beside the gzip one.

Usage: python bin/subset_assets.py app/static/vendor
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from fontTools import subset

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.web.assets import ICONS  # noqa: E402 - the list lives beside the pages that use it

FRENCH = ("U+0020-007E,U+00A0-00FF,U+0131,U+0152-0153,U+0178,U+02C6,U+02DA,U+02DC,U+2000-206F,U+20AC,U+2122,"
          "U+2190-2193,U+2212,U+2215,U+FB01-FB02")
_ICON = re.compile(r"\.fr-icon-([a-z0-9-]+)")


def _rules(css: str):
    """(prelude, body) pairs at one nesting level; a body of an at-rule block is itself rules."""
    depth, start, prelude_end = 0, 0, None
    for i, char in enumerate(css):
        if char == "{":
            if depth == 0:
                prelude_end = i
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                yield css[start:prelude_end], css[prelude_end + 1:i]
                start = i + 1


def keep_icons(css: str, wanted: frozenset[str]) -> str:
    """The stylesheet without the rules whose every selector names an icon nobody uses."""
    kept = []
    for prelude, body in _rules(css):
        head = re.sub(r"/\*.*?\*/", "", prelude, flags=re.S).strip()
        if head.startswith("@"):
            inner = keep_icons(body, wanted)
            if inner.strip():
                kept.append(f"{head}{{{inner}}}")
            continue
        selectors = [s for s in head.split(",") if s.strip()]
        named = [set(_ICON.findall(s)) for s in selectors]
        if selectors and all(names and not (names & wanted) for names in named):
            continue
        kept.append(f"{head}{{{body}}}")
    return "".join(kept)


def subset_fonts(folder: Path) -> None:
    for path in sorted(folder.glob("Marianne-*.woff*")):
        options = subset.Options()
        options.flavor = "woff2" if path.suffix == ".woff2" else "woff"
        options.layout_features = ["kern", "liga", "calt", "ccmp", "locl", "mark", "mkmk", "onum", "lnum", "pnum",
                                   "tnum"]
        options.name_IDs = ["*"]
        font = subset.load_font(str(path), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset.parse_unicodes(FRENCH))
        subsetter.subset(font)
        subset.save_font(font, str(path), options)


def brotli_copies(folders: list[Path]) -> None:
    """A ``.br`` beside each stylesheet and script (served when the browser accepts Brotli, over HTTPS)."""
    import brotli

    for folder in folders:
        for path in folder.rglob("*"):
            if path.suffix in (".css", ".js", ".svg") and path.is_file():
                path.with_name(path.name + ".br").write_bytes(brotli.compress(path.read_bytes(), quality=11))


def main(vendor: str) -> None:
    dsfr = Path(vendor) / "dsfr"
    icons = dsfr / "utility" / "icons" / "icons.min.css"
    icons.write_text(keep_icons(icons.read_text(), frozenset(ICONS)))
    subset_fonts(dsfr / "fonts")
    brotli_copies([Path(vendor)])


if __name__ == "__main__":
    main(sys.argv[1])
