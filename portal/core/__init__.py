"""Shared building blocks: money, database types, permissions, errors, HTTP hardening."""
