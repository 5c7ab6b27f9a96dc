"""Organiser pages: upload a producers file, read its report, review uncertain matches."""
