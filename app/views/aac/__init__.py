"""Compassionate access, one module per actor on one blueprint: the prescriber's wizard, the PUI pharmacist, the
ANSM evaluator, the laboratory, the public verification, and the pages every one of them follows."""

from . import agency, history, laboratory, pharmacy, prescriber, public  # noqa: F401  (their routes on bp)
from .blueprint import bp

__all__ = ["bp"]
