"""HTML pages compressed like the assets (Flask-Compress: brotli, else gzip), where compression reveals nothing.

BREACH recovers a secret from the compressed size of pages that also echo what an attacker sent. Every page here
carries the session's CSRF token, so only answers that echo nothing from the request are compressed: GET without a
query string (search results, filters and re-rendered form posts stay plain; they are the minority of bytes).
"""

from __future__ import annotations

from flask import Flask, request
from flask_compress import Compress

compress = Compress()


def register(app: Flask) -> None:
    app.config.setdefault("COMPRESS_REGISTER", False)
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html"])
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config.setdefault("COMPRESS_EVALUATE_CONDITIONAL_REQUEST", False)
    compress.init_app(app)

    @app.after_request
    def _compress_page(response):
        if request.method == "GET" and not request.query_string and response.mimetype == "text/html":
            return compress.after_request(response)
        return response
