"""Safe post-action redirects: ``next`` may only point at a path on this site."""

from urllib.parse import urlsplit

from flask import redirect, request, url_for
from werkzeug.wrappers import Response


def is_safe_next(target: str | None) -> bool:
    """True if ``target`` is a local path such as ``/account/?tab=1``.

    Refuses absolute URLs, scheme-relative ``//host``, backslash tricks (``/\\host``, which
    browsers treat as ``//host``), and any control character or whitespace.
    """
    if not target or not target.startswith("/"):
        return False
    if target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 0x21 or ch == "\x7f" for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def redirect_next(default_endpoint: str = "core.home", **values) -> Response:
    """Redirect to ``next`` (form field or query string) if safe, else to ``default_endpoint``."""
    target = request.form.get("next") or request.args.get("next")
    if is_safe_next(target):
        return redirect(target)
    return redirect(url_for(default_endpoint, **values))
