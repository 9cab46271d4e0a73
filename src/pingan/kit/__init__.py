"""Domain-free helpers: clock, time zones, text."""
