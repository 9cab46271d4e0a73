"""The demo: a seeded Zhoushan organisation, one account per role, and (later) the live fleet simulator."""
