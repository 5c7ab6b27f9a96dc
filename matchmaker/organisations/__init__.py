"""Organisations: producers, distributors, or both (profiles grow in the catalogue issue)."""
