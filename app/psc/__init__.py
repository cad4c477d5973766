"""Pro Santé Connect client and CPS card identity. The core has no Flask imports."""
