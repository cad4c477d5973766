"""gunicorn settings for the PSC sandbox: one process (its state is in memory), several threads."""

import os

bind = os.environ.get("PSC_SANDBOX_BIND", f"127.0.0.1:{os.environ.get('PSC_SANDBOX_PORT', '8001')}")
workers = 1
threads = 8
accesslog = "-"
