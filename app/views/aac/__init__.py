"""Compassionate access, one module per actor on one blueprint: the prescriber's wizard, the PUI pharmacist, the
ANSM evaluator, the laboratory, the public verification, and the pages every one of them follows."""

from flask import Blueprint

bp = Blueprint("aac", __name__)

from . import agency, history, laboratory, pharmacy, prescriber, public  # noqa: E402,F401  (routes on bp)
