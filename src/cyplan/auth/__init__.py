"""The shared server's people: sign-in (OpenID Connect), sessions, and roles per area (docs/decisions/0011)."""
