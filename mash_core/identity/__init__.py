"""Users, roles, permissions, sessions, API tokens, throttling and the audit log."""
