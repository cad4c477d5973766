"""The compassionate-access blueprint, apart from the package so that its modules import it without a circle."""

from flask import Blueprint

bp = Blueprint("aac", __name__)
