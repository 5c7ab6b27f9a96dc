"""Supply contract pages (placeholder: being built)."""
