"""Forening: membership and activity management for Nordic associations."""

__version__ = "0.1.0"
