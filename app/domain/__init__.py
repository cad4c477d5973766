"""Domain rules in plain Python: no Flask, no database session."""
