"""Reminders of MOU next steps that are due (placeholder)."""

REMINDER_MESSAGES: dict = {}
