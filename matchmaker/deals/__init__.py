"""Deals: MOUs and supply contracts, from a meeting to a signed contract (DESIGN §2, §5)."""
