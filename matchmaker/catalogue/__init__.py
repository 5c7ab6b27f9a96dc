"""Catalogue: categories (OCOP and HS trees), products, sourcing needs."""
