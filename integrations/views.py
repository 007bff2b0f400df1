"""Pages of integrations (filled in below)."""
