"""Demo and test data, and its idempotent loader (`flask seed`)."""
