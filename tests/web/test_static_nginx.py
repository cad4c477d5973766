"""deploy/nginx-static.conf as shipped, in a real nginx: versioned assets immutable for a year, gzipped."""

import gzip

import requests

from tests.conftest import free_port, wait_for_port
from tests.live import ROOT, start_nginx, stop


def test_nginx_serves_versioned_assets_compressed_and_immutable(tmp_path, app):
    port = free_port()
    snippet = (ROOT / "deploy" / "nginx-static.conf").read_text().replace("${PORTAL_STATIC_ROOT}",
                                                                          str(ROOT / "app" / "static"))
    nginx = start_nginx(tmp_path, f"server {{\n listen 127.0.0.1:{port};\n{snippet}\n}}\n")
    try:
        wait_for_port(port, nginx)
        version = app.config["ASSET_VERSION"]
        css = requests.get(f"http://127.0.0.1:{port}/static/v/{version}/vendor/dsfr/dsfr.min.css",
                           headers={"Accept-Encoding": "gzip"}, stream=True, timeout=5)
        assert css.status_code == 200, nginx.stderr
        assert css.headers["Content-Encoding"] == "gzip"
        assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        body = gzip.decompress(css.raw.read())
        assert body == (ROOT / "app" / "static" / "vendor" / "dsfr" / "dsfr.min.css").read_bytes()
        font = requests.get(f"http://127.0.0.1:{port}/static/v/{version}/vendor/dsfr/fonts/Marianne-Regular.woff2",
                            timeout=5)
        assert font.status_code == 200 and "immutable" in font.headers["Cache-Control"]
        plain = requests.get(f"http://127.0.0.1:{port}/static/css/app.css", timeout=5)
        assert plain.status_code == 200 and "immutable" not in plain.headers.get("Cache-Control", "")
    finally:
        stop(nginx)
