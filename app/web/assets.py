"""Static assets under a content-versioned path: cached for a year by browsers and proxies, served Brotli- or
gzip-compressed when the client accepts it (``bin/copy-assets`` writes the ``.br`` and ``.gz`` files; nginx serves
the same files in production, see ``deploy/nginx-static.conf``: its gzip_static reads the ``.gz`` ones)."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from flask import Flask, abort, request, send_from_directory
from markupsafe import Markup, escape

YEAR = 365 * 24 * 3600
HEAD_ASSETS = {
    "vendor/dsfr/dsfr.min.css": '<link rel="stylesheet" href="{url}">',
    "vendor/dsfr/utility/icons/icons.min.css": '<link rel="stylesheet" href="{url}">',
    "css/app.css": '<link rel="stylesheet" href="{url}">',
    "vendor/dsfr/favicon/favicon.svg": '<link rel="icon" href="{url}" type="image/svg+xml">',
    "vendor/dsfr/dsfr.module.min.js": '<script type="module" src="{url}"></script>',
    "vendor/dsfr/dsfr.nomodule.min.js": '<script nomodule src="{url}"></script>',
    "vendor/htmx/htmx.min.js": '<script defer src="{url}"></script>',
    "js/portal.js": '<script defer src="{url}"></script>',
}
COMPRESSED = {".css", ".js", ".svg", ".json", ".map", ".txt"}
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))  # Brotli first: the DSFR's stylesheet is a fifth lighter than gzipped
# The DSFR icons the pages use: bin/subset_assets.py keeps only their rules in the icon stylesheet (1,044 otherwise);
# tests/web/test_assets_weight.py fails when a template uses one not listed here.
ICONS = ("account-circle-line", "add-line", "arrow-right-line", "bank-card-line", "code-s-slash-line", "delete-line",
         "download-line", "global-line", "lock-line", "logout-box-r-line", "refresh-line", "warning-line")


def content_version(folder: str | Path) -> str:
    """A short hash of every file's path and content: any change to any asset gives every URL a new name."""
    digest = hashlib.sha256()
    root = Path(folder)
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix not in (".gz", ".br"):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def register(app: Flask) -> None:
    version = content_version(app.static_folder)
    prefix = f"{app.static_url_path}/v/{version}/"
    app.config["ASSET_VERSION"] = version

    @app.get(f"{app.static_url_path}/v/<version>/<path:filename>", endpoint="asset")
    def asset(version: str, filename: str):
        current = version == app.config["ASSET_VERSION"]
        accepted = request.headers.get("Accept-Encoding", "")
        encoding = next((name for name, suffix in ENCODINGS if name in accepted and Path(filename).suffix in COMPRESSED
                         and (Path(app.static_folder) / f"{filename}{suffix}").is_file()), None)
        served = filename + dict(ENCODINGS).get(encoding, "") if encoding else filename
        try:
            response = send_from_directory(app.static_folder, served, max_age=YEAR if current else 300)
        except FileNotFoundError:
            abort(404)
        if encoding:
            response.headers["Content-Encoding"] = encoding
            response.mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        response.vary.update(("Accept-Encoding",))
        if current:  # an old version's name may now hold other bytes: only the current one is immutable
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response

    def asset_url(filename: str) -> str:
        return f"{request.script_root}{prefix}{filename}"

    links: dict[str, Markup] = {}

    def head_links() -> Markup:
        """Every page's stylesheets and scripts, built once per mount point (eight URLs a page otherwise)."""
        root = request.script_root
        if root not in links:
            url = {name: escape(f"{root}{prefix}{name}") for name in HEAD_ASSETS}
            links[root] = Markup("\n  ".join(tag.format(url=url[name]) for name, tag in HEAD_ASSETS.items()))  # noqa: S704 - escaped URLs
        return links[root]

    app.jinja_env.globals.update(asset=asset_url, head_links=head_links)
