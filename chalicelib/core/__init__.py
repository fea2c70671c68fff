"""Shared by every subsystem: constants, settings, errors, AWS clients, stores, observability."""
