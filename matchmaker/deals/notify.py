"""Notifications about MOUs and supply contracts, and their texts (placeholder)."""

DEAL_MESSAGES: dict = {}
