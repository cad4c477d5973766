"""The ACME server's operations (RFC 8555): the JWS checks, accounts bound by EAB, orders and their effects."""
