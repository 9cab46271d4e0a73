"""The append-only, hash-chained audit trail (安全审计)."""
