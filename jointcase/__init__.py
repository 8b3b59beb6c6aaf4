"""Wiring of jointcase: settings, storage (PostgreSQL server or embedded), the command line."""
