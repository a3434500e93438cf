"""Staff accounts: users, logins, sessions, two-factor codes."""
