"""Organisation profile and certification views."""
