"""gunicorn settings for the PSC sandbox: one process (its state is in memory), several threads."""

import os

bind = os.environ.get("PSC_SANDBOX_BIND", f"127.0.0.1:{os.environ.get('PSC_SANDBOX_PORT', '8001')}")
control_socket = os.path.join(os.environ.get("XDG_RUNTIME_DIR") or os.path.expanduser("~/.gunicorn"),
                              f"psc-sandbox-{bind.rsplit(':', 1)[-1]}.ctl")
workers = 1
threads = 8
accesslog = "-"
