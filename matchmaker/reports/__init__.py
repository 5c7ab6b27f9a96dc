"""Conversion reports for organisers: funnels, MOU conversion, breakdowns (DESIGN §5)."""
