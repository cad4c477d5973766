"""The ANS forms: descriptions (catalogue), field checks (schema) and their business rules (rules)."""

from .catalogue import FORMS
from .schema import Field, FormSpec, Step, all_errors, check, clean, step_errors

__all__ = ["FORMS", "Field", "FormSpec", "Step", "all_errors", "check", "clean", "step_errors"]
