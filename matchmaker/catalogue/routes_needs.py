"""Sourcing-need views (distributor members)."""
