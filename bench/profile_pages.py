"""In-process cost of each bench page: the WSGI app called directly (no server, no socket), mean µs a
request, and optionally a cProfile of one page. Where bench/pages.py says how far a page is from bare Flask,
this says where its time goes.

Run: .venv/bin/python bench/profile_pages.py [--repeat 2000] [--profile "tableau de bord"]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def call(app, path: str, cookie: str) -> int:
    from werkzeug.test import EnvironBuilder

    path, _, query = path.partition("?")
    environ = EnvironBuilder(path=path, query_string=query, base_url="http://127.0.0.1:8000/",
                             headers={"Cookie": f"portail_session={cookie}"} if cookie else {}).get_environ()
    status = []
    body = app(dict(environ), lambda s, h, e=None: status.append(s))
    b"".join(body)
    getattr(body, "close", lambda: None)()
    return int(status[0].split()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1000)
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    from bench.databases import throwaway_database
    from bench.pages import prepare

    work = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    with throwaway_database(work) as url:
        _, pages = prepare(work, url)
        from bench.bare_app import app as bare
        from bench.floor_app import app  # the portal, with the floor's two empty pages

        pages = {"Flask nu (bonjour)": ("/", ""), **pages}
        for name, (path, cookie) in pages.items():
            wsgi = bare if name.startswith("Flask nu") else app
            if call(wsgi, path, cookie) != 200:
                raise SystemExit(f"{name}: not 200")
            for _ in range(50):
                call(wsgi, path, cookie)
            start = time.perf_counter()
            for _ in range(args.repeat):
                call(wsgi, path, cookie)
            mean = (time.perf_counter() - start) / args.repeat * 1e6
            print(f"{name:40} {mean:8.0f} µs")
            if args.profile and args.profile in name:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.repeat):
                    call(wsgi, path, cookie)
                profiler.disable()
                out = io.StringIO()
                order = os.environ.get("PROFILE_SORT", "cumulative")  # tottime: where the time is spent itself
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(60)
                print(out.getvalue())
        app.extensions["db"].engine.dispose()


if __name__ == "__main__":
    main()
