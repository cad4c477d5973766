"""Demo and test data, and its idempotent loader (`python -m seeds`)."""
