"""Unbound extensions, initialised in create_app.

Flask-Talisman keeps its policy on the instance, so each app gets its own (see create_app): one shared
instance would serve the last app's CSP to every app of the process.
"""

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
htmx = HTMX()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
