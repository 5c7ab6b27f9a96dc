"""Bulk import of producers and their products from CSV/XLSX files."""
