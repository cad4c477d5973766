"""PDF renderers (reportlab). No Flask."""
