"""Organisation profiles and certifications: who may see and change them, and the changes.

Services take plain arguments, flush but never commit: the route commits once. Uploaded
files arrive already checked as ``(bytes, kind)`` pairs (see :mod:`matchmaker.uploads`); a
service writes them to the upload folder and returns the paths of files that nothing points at
any more, which the route deletes *after* the commit (a rolled-back change keeps its files).
"""

import io
import warnings
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from PIL import Image, ImageOps
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.organisations import divisions
from matchmaker.organisations.identifiers import tax_code_kind
from matchmaker.organisations.models import (
    BuyerType,
    Certification,
    CertificationKind,
    DeliveryProvince,
    LegalForm,
    Organisation,
    Side,
)
from matchmaker.permissions import edit_rule, is_staff, same_organisation, view_rule
from matchmaker.text import normalise, strip_invisible
from matchmaker.uploads import UploadError, save_bytes

__all__ = [
    "LOGO_MAX_BYTES",
    "LOGO_MAX_SIDE",
    "DOCUMENT_MAX_BYTES",
    "InvalidDates",
    "TaxCodeTaken",
    "add_certification",
    "delete_certification",
    "may_see_documents",
    "prepare_logo",
    "update_certification",
    "update_profile",
]

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_SIDE = 400  # pixels
# A 2 MB file can still decode to a huge bitmap (a "decompression bomb"); 40 megapixels is
# more than any phone camera takes and about 160 MB decoded.
LOGO_MAX_PIXELS = 40_000_000
DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
LOGO_FOLDER = "logos"
CERTIFICATE_FOLDER = "certifications"

# Columns update_profile() may set, besides the logo and the delivery provinces.
_PROFILE_COLUMNS = frozenset({
    "name", "side", "short_name", "legal_form", "tax_code", "province_code", "ward_code",
    "address_line", "address_as_written", "phone", "website", "description", "buyer_type",
})


# --- Who may see and change --------------------------------------------------------------


@view_rule(Organisation)
def _can_view_organisation(_user, _org: Organisation) -> bool:
    # Profiles are the platform's shop window: everyone, logged in or not, may read them.
    # Certificate documents are not part of the profile (see may_see_documents).
    return True


@edit_rule(Organisation)
def _can_edit_organisation(user, org: Organisation) -> bool:
    return is_staff(user) or same_organisation(user, org.id)


@view_rule(Certification)
def _can_view_certification(_user, _cert: Certification) -> bool:
    # Kind, number, issuer and dates are public: buyers choose suppliers by them.
    return True


@edit_rule(Certification)
def _can_edit_certification(user, cert: Certification) -> bool:
    return is_staff(user) or same_organisation(user, cert.organisation_id)


def may_see_documents(user, organisation_id: int) -> bool:
    """May ``user`` download the certificate documents of organisation ``organisation_id``?

    Members of that organisation and staff (organisers, admins) only: scans carry signatures,
    stamps and personal names.
    """
    return is_staff(user) or same_organisation(user, organisation_id)


# --- Errors --------------------------------------------------------------------------------


class TaxCodeTaken(Exception):
    """Another organisation already has this tax code (``tax_code``, digits only)."""

    def __init__(self, tax_code: str) -> None:
        super().__init__(tax_code)
        self.tax_code = tax_code


class InvalidDates(ValueError):
    """A certification that expires before it was issued."""


# --- Logo ----------------------------------------------------------------------------------


def prepare_logo(data: bytes) -> tuple[bytes, str]:
    """Re-encode an uploaded logo: at most 400×400 pixels, no metadata.

    Args:
        data: the uploaded bytes, already checked to start like a JPEG or PNG.

    Returns ``(bytes, kind)`` with ``kind`` ``"jpeg"`` or ``"png"`` (the input's format). The
    image is turned upright by its EXIF orientation and shrunk (never enlarged) to fit 400×400;
    EXIF (camera, GPS position), XMP, ICC profiles and comments are dropped by re-encoding from
    the pixels alone. PNG keeps its transparency.

    Raises:
        UploadError: ``wrong_type`` (Pillow reads another format), ``too_many_pixels`` (over
            :data:`LOGO_MAX_PIXELS`), ``unreadable`` (truncated or corrupt image).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in ("JPEG", "PNG"):
                    raise UploadError("wrong_type")
                width, height = image.size
                if width * height > LOGO_MAX_PIXELS:
                    raise UploadError("too_many_pixels")
                image.load()
                kind = "png" if image.format == "PNG" else "jpeg"
                upright = ImageOps.exif_transpose(image)
    except UploadError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise UploadError("too_many_pixels") from None
    except (OSError, SyntaxError, ValueError):
        raise UploadError("unreadable") from None

    if kind == "png":
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        upright = upright.convert("RGBA" if has_alpha else "RGB")
    else:
        upright = upright.convert("RGB")
    upright.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE), Image.Resampling.LANCZOS)
    # Pillow copies some of .info (comment, ICC profile) into the output file by default.
    upright.info = {}
    out = io.BytesIO()
    if kind == "png":
        upright.save(out, "PNG", optimize=True)
    else:
        upright.save(out, "JPEG", quality=88, optimize=True)
    return out.getvalue(), kind


# --- Profile ------------------------------------------------------------------------------


def _tax_code_owner(tax_code: str, other_than: int | None) -> int | None:
    stmt = sa.select(Organisation.id).where(Organisation.tax_code == tax_code)
    if other_than is not None:
        stmt = stmt.where(Organisation.id != other_than)
    return db.session.scalar(stmt.limit(1))


def _clean_text(value: str | None) -> str | None:
    value = normalise(value)
    return value or None


def _check_profile(org: Organisation) -> None:
    # The form has said all of this to the user already; these checks keep other callers
    # (importers, the API) from storing what the form would refuse.
    if org.side not in set(Side):
        raise ValueError(f"unknown side {org.side!r}")
    if org.legal_form is not None and org.legal_form not in set(LegalForm):
        raise ValueError(f"unknown legal form {org.legal_form!r}")
    if org.buyer_type is not None and org.buyer_type not in set(BuyerType):
        raise ValueError(f"unknown buyer type {org.buyer_type!r}")
    if org.province_code is not None and not divisions.is_province(org.province_code):
        raise ValueError(f"{org.province_code} is not a current province code")
    if org.ward_code is not None and not divisions.ward_in_province(org.ward_code,
                                                                   org.province_code):
        raise ValueError(f"ward {org.ward_code} is not in province {org.province_code}")
    if org.tax_code is not None:
        kind = tax_code_kind(org.tax_code)
        if kind == "personal_id" and org.legal_form != LegalForm.HOUSEHOLD:
            raise ValueError("a personal ID is a tax code only for household businesses")
    if org.phone is not None and not org.phone.startswith("+"):
        raise ValueError("phone numbers are stored in E.164")


def _set_delivery_provinces(org: Organisation, codes: Iterable[int]) -> None:
    wanted = set(codes)
    unknown = [code for code in wanted if not divisions.is_province(code)]
    if unknown:
        raise ValueError(f"not current province codes: {sorted(unknown)}")
    # Keep the rows that stay rather than replacing the collection: same primary keys.
    for row in list(org.delivery_provinces):
        if row.province_code not in wanted:
            org.delivery_provinces.remove(row)
    have = set(org.delivery_province_codes)
    for code in sorted(wanted - have):
        org.delivery_provinces.append(DeliveryProvince(province_code=code))


def _flush_profile(org: Organisation) -> None:
    # Without no_autoflush the check itself would flush, outside the savepoint below.
    with db.session.no_autoflush:
        taken = org.tax_code is not None and _tax_code_owner(org.tax_code, org.id) is not None
    if taken:
        raise TaxCodeTaken(org.tax_code)
    try:
        # A savepoint, so that losing a race for the tax code leaves the request usable.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        if org.tax_code is not None and _tax_code_owner(org.tax_code, org.id) is not None:
            raise TaxCodeTaken(org.tax_code) from exc
        raise


def update_profile(org: Organisation, *, delivery_provinces: Iterable[int] | None = None,
                   logo: tuple[bytes, str] | None = None, remove_logo: bool = False,
                   **fields) -> list[str]:
    """Change an organisation's profile and flush.

    Args:
        org: the organisation (persistent).
        fields: any of ``name`` (required non-empty when given), ``side`` (:class:`Side`),
            ``short_name``, ``legal_form`` (:class:`LegalForm` or None), ``tax_code`` (digits
            as returned by :func:`~matchmaker.organisations.identifiers.normalise_tax_code`,
            or None), ``province_code`` / ``ward_code`` (current codes from
            :mod:`~matchmaker.organisations.divisions`; the ward must lie in the province),
            ``address_line``, ``address_as_written``, ``phone`` (E.164 from
            :func:`~matchmaker.organisations.identifiers.normalise_phone`), ``website``,
            ``description``, ``buyer_type`` (:class:`BuyerType` or None). Text is stored NFC
            with spaces collapsed (the description keeps its line breaks); empty text becomes
            None. Fields not given are left alone.
        delivery_provinces: current province codes a distributor delivers to; None leaves
            them alone.
        logo: ``(bytes, kind)`` from :func:`prepare_logo`, replacing any current logo.
        remove_logo: drop the current logo (ignored when ``logo`` is given).

    When the side no longer includes distributor, buyer type and delivery provinces are
    cleared, since matching reads them as distributor data.

    Returns: upload paths no longer used (the old logo): delete them after the commit.

    Raises:
        TaxCodeTaken: another organisation has ``tax_code``; nothing is flushed, and the
            caller should roll back.
        ValueError: a field outside the rules above (unknown field, province or ward, a
            ward outside its province, a personal ID for a non-household, …).
    """
    unknown = set(fields) - _PROFILE_COLUMNS
    if unknown:
        raise ValueError(f"update_profile: unknown fields {sorted(unknown)}")
    for key, value in fields.items():
        if key == "name":
            if not normalise(value):
                raise ValueError("an organisation needs a name")
            if normalise(value) != org.name:
                org.name = value  # the model's validator normalises and keys it
        elif key == "description":
            org.description = strip_invisible(value).strip() or None
        elif key in ("province_code", "ward_code"):
            setattr(org, key, int(value) if value is not None else None)
        elif isinstance(value, str) or value is None:
            setattr(org, key, _clean_text(value))
        else:
            raise ValueError(f"update_profile: {key} must be text or None")
    if delivery_provinces is not None:
        _set_delivery_provinces(org, delivery_provinces)
    if not org.is_distributor:
        org.buyer_type = None
        _set_delivery_provinces(org, ())
    _check_profile(org)
    _flush_profile(org)

    obsolete: list[str] = []
    if logo is not None or remove_logo:
        if org.logo_path:
            obsolete.append(org.logo_path)
        org.logo_path = None
        if logo is not None:
            data, kind = logo
            org.logo_path = save_bytes(data, kind, LOGO_FOLDER).path
        db.session.flush()
    return obsolete


# --- Certifications -----------------------------------------------------------------------


def _check_certification(kind: str, issued_on: date | None, expires_on: date | None) -> None:
    if kind not in set(CertificationKind):
        raise ValueError(f"unknown certification kind {kind!r}")
    if issued_on and expires_on and expires_on < issued_on:
        raise InvalidDates(f"expires {expires_on} before issued {issued_on}")


def _store_document(cert: Certification, document: tuple[bytes, str]) -> None:
    data, kind = document
    cert.document_path = save_bytes(data, kind,
                                    f"{CERTIFICATE_FOLDER}/{cert.organisation_id}").path


def add_certification(org: Organisation, *, kind: CertificationKind | str,
                      number: str | None = None, issuer: str | None = None,
                      issued_on: date | None = None, expires_on: date | None = None,
                      document: tuple[bytes, str] | None = None) -> Certification:
    """Record a certification that ``org`` holds, and flush.

    Args:
        kind: a :class:`CertificationKind`.
        number: certificate number or decision reference (≤ 80 characters).
        issuer: who issued it (≤ 255 characters).
        issued_on, expires_on: calendar dates (no time zone); either may be None.
        document: ``(bytes, kind)`` from :func:`matchmaker.uploads.read_checked` (PDF, JPEG
            or PNG); stored under a random name.

    Returns: the new, flushed certification.

    Raises:
        InvalidDates: ``expires_on`` is before ``issued_on`` (the DB CHECK
            ``expires_after_issue`` would refuse it too).
        ValueError: unknown ``kind``.
    """
    _check_certification(kind, issued_on, expires_on)
    cert = Certification(organisation_id=org.id, kind=str(kind), number=_clean_text(number),
                         issuer=_clean_text(issuer), issued_on=issued_on,
                         expires_on=expires_on)
    if document is not None:
        _store_document(cert, document)
    db.session.add(cert)
    db.session.flush()
    return cert


def update_certification(cert: Certification, *, kind: CertificationKind | str,
                         number: str | None = None, issuer: str | None = None,
                         issued_on: date | None = None, expires_on: date | None = None,
                         document: tuple[bytes, str] | None = None,
                         remove_document: bool = False) -> list[str]:
    """Change a certification and flush. Arguments as for :func:`add_certification`;
    ``document`` replaces the current one, ``remove_document`` drops it.

    Returns: upload paths no longer used (delete them after the commit).

    Raises:
        InvalidDates, ValueError: as :func:`add_certification`.
    """
    _check_certification(kind, issued_on, expires_on)
    cert.kind = str(kind)
    cert.number = _clean_text(number)
    cert.issuer = _clean_text(issuer)
    cert.issued_on = issued_on
    cert.expires_on = expires_on
    obsolete: list[str] = []
    if (document is not None or remove_document) and cert.document_path:
        obsolete.append(cert.document_path)
        cert.document_path = None
    if document is not None:
        _store_document(cert, document)
    db.session.flush()
    return obsolete


def delete_certification(cert: Certification) -> list[str]:
    """Delete a certification (products citing it lose the link) and flush.

    Returns: upload paths no longer used (its document): delete them after the commit.
    """
    obsolete = [cert.document_path] if cert.document_path else []
    db.session.delete(cert)
    db.session.flush()
    return obsolete
