"""Blueprints, one per actor or workflow."""
