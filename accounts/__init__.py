"""Users, organisations, memberships, roles, login and API tokens."""
