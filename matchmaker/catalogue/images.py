"""Product images: checked by content, decoded safely, re-encoded in two sizes.

An upload is accepted when its bytes are a JPEG or PNG (:func:`matchmaker.uploads.read_checked`,
the browser's name and type are ignored) of at most :data:`MAX_IMAGE_BYTES`, Pillow can decode
it, and it has at most :data:`MAX_PIXELS` pixels (a small file can announce a huge canvas: a
"decompression bomb"). The image is turned upright by its EXIF orientation, then re-encoded
from the pixels, which drops every piece of metadata (EXIF with GPS position, camera serial,
comments): a "full" copy at most :data:`FULL_MAX_PX` on its longer side and a "thumb" at most
:data:`THUMB_WIDTH` wide. Nothing is written to disk here.
"""

from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from matchmaker.uploads import IMAGE_KINDS, UploadError, read_checked

MAX_IMAGE_BYTES = 5 * 1024 * 1024
#: 40 megapixels (e.g. 7300 × 5480): above any photo that fits in 5 MB, far below what would
#: exhaust a worker's memory (an RGBA canvas of this size is 160 MB).
MAX_PIXELS = 40_000_000
FULL_MAX_PX = 1600
THUMB_WIDTH = 400
# A thumbnail is for lists: a panorama standing on its end must not become 400 × 20 000.
THUMB_MAX_HEIGHT = 1200
JPEG_QUALITY = 85

# Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that, before decoding; our own
# check below refuses everything over MAX_PIXELS, so Pillow's is the backstop.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG"}


class ImageError(ValueError):
    """An image that cannot be accepted; forms translate by ``code``:

    ``empty`` (no bytes), ``too_large`` (over :data:`MAX_IMAGE_BYTES`), ``wrong_type`` (not a
    JPEG or PNG by content), ``unreadable`` (damaged or not really an image),
    ``too_many_pixels`` (over :data:`MAX_PIXELS`), ``too_many`` (the product would have more
    than :data:`~matchmaker.catalogue.models.MAX_PRODUCT_IMAGES`), ``conflict`` (another upload
    took the same place at the same moment). ``filename`` names the file when known.
    """

    CODES = frozenset({"empty", "too_large", "wrong_type", "unreadable", "too_many_pixels",
                       "too_many", "conflict"})

    def __init__(self, code: str, filename: str | None = None) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown ImageError code {code!r}")
        super().__init__(code)
        self.code = code
        self.filename = filename


@dataclass(frozen=True)
class ProcessedImage:
    """A checked image ready to store: encoded bytes of both sizes, in the source's format.

    ``kind`` is ``jpeg`` or ``png``; ``width`` × ``height`` are the full copy's pixels.
    """

    kind: str
    full: bytes
    thumb: bytes
    width: int
    height: int


def _encode(image: Image.Image, kind: str) -> bytes:
    out = BytesIO()
    if kind == "jpeg":
        # Only the pixels are written: no exif=, no comment, so the metadata is gone.
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _normalise_mode(image: Image.Image, kind: str) -> Image.Image:
    if kind == "jpeg":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    # Palettes and 16-bit greys resize badly; transparency must survive.
    has_alpha = "transparency" in image.info or image.mode in ("PA",)
    return image.convert("RGBA" if has_alpha else "RGB")


def process_image(data: bytes, kind: str) -> ProcessedImage:
    """Decode ``data`` (a JPEG or PNG, as :func:`matchmaker.uploads.sniff` says ``kind``),
    fix its orientation and return both sizes re-encoded in the same format.

    Raises:
        ImageError: ``unreadable`` when Pillow cannot decode it (truncated, corrupt, or its
            content is not the announced format), ``too_many_pixels`` over :data:`MAX_PIXELS`.
    """
    try:
        with Image.open(BytesIO(data)) as probe:
            probe.verify()  # structure and checksums, without decoding the pixels
        image = Image.open(BytesIO(data))
        if image.format != _PILLOW_FORMATS[kind]:
            raise ImageError("unreadable")
        if image.width * image.height > MAX_PIXELS:
            raise ImageError("too_many_pixels")
        if kind == "jpeg":
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still covers FULL_MAX_PX:
            # a quarter or less of the memory for large photos.
            image.draft("RGB", (FULL_MAX_PX, FULL_MAX_PX))
        image.load()
        image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        if isinstance(error, ImageError):
            raise
        raise ImageError("unreadable") from None

    image = _normalise_mode(image, kind)
    full = image.copy()
    full.thumbnail((FULL_MAX_PX, FULL_MAX_PX), Image.Resampling.LANCZOS)
    thumb = image.copy()
    thumb.thumbnail((THUMB_WIDTH, THUMB_MAX_HEIGHT), Image.Resampling.LANCZOS)
    return ProcessedImage(kind=kind, full=_encode(full, kind), thumb=_encode(thumb, kind),
                          width=full.width, height=full.height)


def read_image(file: FileStorage) -> ProcessedImage:
    """Check one uploaded file by content and size, then :func:`process_image` it.

    Raises:
        ImageError: any code but ``too_many``/``conflict``, with ``filename`` set to the
            browser's file name (for the message only; it is never stored).
    """
    name = file.filename or None
    try:
        data, kind = read_checked(file, IMAGE_KINDS, MAX_IMAGE_BYTES)
    except UploadError as error:
        raise ImageError(error.code, name) from None
    try:
        return process_image(data, kind)
    except ImageError as error:
        raise ImageError(error.code, name) from None
