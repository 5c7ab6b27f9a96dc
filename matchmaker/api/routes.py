"""API v1 endpoints."""
