"""Coordinator pages."""
