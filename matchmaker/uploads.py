"""Uploaded files: checked by content, capped in size, stored outside ``static/`` under random
names, and served only through views that check permission first.

Files live under ``<instance>/uploads/`` (``UPLOAD_FOLDER`` overrides). The database stores the
relative path this module returns, never a user-supplied name.
"""

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app, send_file
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

# Magic numbers (file signatures) of the formats we accept.
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
EXTENSIONS = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png"}
DOCUMENT_KINDS = frozenset({"pdf", "jpeg", "png"})
IMAGE_KINDS = frozenset({"jpeg", "png"})
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


class UploadError(ValueError):
    """A file that cannot be accepted. ``code`` is ``empty``, ``too_large`` or ``wrong_type``;
    forms translate by code. ``limit`` is the size cap in bytes for ``too_large``."""

    def __init__(self, code: str, limit: int | None = None):
        super().__init__(code)
        self.code = code
        self.limit = limit


@dataclass(frozen=True)
class StoredFile:
    """A file saved by :func:`store_upload`: ``path`` relative to the upload folder."""

    path: str
    kind: str
    content_type: str
    size: int


def upload_root() -> Path:
    """The folder holding every upload (created on first use)."""
    root = Path(current_app.config.get("UPLOAD_FOLDER")
                or Path(current_app.instance_path) / "uploads")
    root.mkdir(parents=True, exist_ok=True)
    return root


def sniff(head: bytes) -> str | None:
    """The kind (``pdf``, ``jpeg``, ``png``) that ``head``'s first bytes announce, or None."""
    for kind, signatures in SIGNATURES.items():
        if any(head.startswith(sig) for sig in signatures):
            return kind
    return None


def read_checked(file: FileStorage, kinds: frozenset[str] = DOCUMENT_KINDS,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes, str]:
    """Read an upload into memory and check it: returns ``(data, kind)``.

    The browser's file name and content type are ignored; only the bytes count.

    Raises:
        UploadError: ``empty``, ``too_large`` (over ``max_bytes``) or ``wrong_type``.
    """
    data = file.stream.read(max_bytes + 1)
    if not data:
        raise UploadError("empty")
    if len(data) > max_bytes:
        raise UploadError("too_large", max_bytes)
    kind = sniff(data[:16])
    if kind not in kinds:
        raise UploadError("wrong_type")
    return data, kind


def save_bytes(data: bytes, kind: str, folder: str) -> StoredFile:
    """Write ``data`` under ``folder/`` with a random name; returns what to store."""
    relative = Path(folder) / f"{secrets.token_urlsafe(18)}{EXTENSIONS[kind]}"
    target = upload_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return StoredFile(relative.as_posix(), kind, CONTENT_TYPES[kind], len(data))


def store_upload(file: FileStorage, folder: str, kinds: frozenset[str] = DOCUMENT_KINDS,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> StoredFile:
    """Check (see :func:`read_checked`) and save an upload under ``folder/``.

    Raises:
        UploadError: the file is empty, too large or of a kind not in ``kinds``.
    """
    data, kind = read_checked(file, kinds, max_bytes)
    return save_bytes(data, kind, folder)


def delete_upload(path: str | None) -> None:
    """Remove a stored file if it exists (after the database no longer points at it)."""
    if path:
        (upload_root() / path).unlink(missing_ok=True)


def send_upload(path: str | None, download_name: str | None = None) -> Response:
    """Send a stored file; 404 when missing. Call only after checking permission.

    The file is read into memory (uploads are capped at a few MB) so that no file handle
    outlives the request when a client stops reading. PDFs are sent as attachments so that
    they never render inside our origin.
    """
    if not path:
        abort(404)
    root = upload_root().resolve()
    target = (root / path).resolve()
    if root not in target.parents or not target.is_file():
        abort(404)
    data = target.read_bytes()
    kind = sniff(data[:16])
    if kind is None:
        abort(404)
    return send_file(io.BytesIO(data), mimetype=CONTENT_TYPES[kind], as_attachment=kind == "pdf",
                     download_name=download_name or target.name, max_age=0)
