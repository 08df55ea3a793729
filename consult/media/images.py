"""Photo uploads: validate, normalise and strip them before anything is stored.

Residents attach phone photos to ideas. Those files are untrusted (anything can be
uploaded), often huge (12-50 megapixels), sideways (orientation lives in EXIF) and
full of private metadata, GPS coordinates above all: a photo taken at home would
publish the author's address. So every upload is decoded with limits, turned upright,
re-encoded from pixels only as a modest JPEG, and given a small thumbnail that keeps
list pages light on mobile data (DESIGN.md §9).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import re
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import ClassVar

from PIL import Image, ImageOps

try:  # Colour management is optional in Pillow builds; without it ICC is dropped.
    from PIL import ImageCms
except ImportError:  # pragma: no cover - depends on the Pillow build
    ImageCms = None  # type: ignore[assignment]

try:  # iPhones upload HEIC unless set to "most compatible"; accept it when we can.
    from pillow_heif import register_heif_opener  # type: ignore[import-not-found]
except ImportError:
    HEIF_SUPPORTED = False
else:  # pragma: no cover - optional dependency
    register_heif_opener()
    HEIF_SUPPORTED = True

__all__ = [
    "ACCEPTED_FORMATS",
    "HEIF_SUPPORTED",
    "ImageError",
    "MAX_IMAGE_PIXELS",
    "MAX_UPLOAD_BYTES",
    "ProcessedImage",
    "process_upload",
    "store",
]

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
# Enough for a 48 MP phone sensor (8064 x 6048); a decoded RGB image this size is
# ~150 MB, which is as much memory as one request should ever take. Checked on the
# header before decoding. Pillow's own, larger, process-wide limit is left alone.
MAX_IMAGE_PIXELS = 50_000_000
MAX_SIDE = 1600
THUMB_SIDE = 480
THUMB_MAX_BYTES = 30 * 1024
JPEG_QUALITY = 82
THUMB_QUALITIES = (75, 65, 55, 45, 35, 25)

# Phones save multi-picture JPEGs that Pillow reports as MPO; GIF and WebP may be
# animated, and only the first frame is kept.
ACCEPTED_FORMATS: frozenset[str] = frozenset(
    {"JPEG", "MPO", "PNG", "WEBP", "GIF"} | ({"HEIF"} if HEIF_SUPPORTED else set())
)

_WHITE = (255, 255, 255, 255)
_KEY_RE = re.compile(r"[0-9a-f]{64}")


class ImageError(ValueError):
    """An upload we refuse, with a code for programs and a message for people.

    ``template`` is an English msgid for the translation catalogue; the web layer
    translates it and fills in ``params`` (``_(err.template).format(**err.params)``).
    """

    MESSAGES: ClassVar[dict[str, str]] = {
        "too_large": "The photo is {size_mb} MB; photos can be at most {max_mb} MB.",
        "not_an_image": (
            "This file could not be opened as a photo. "
            "Please choose a JPEG, PNG, WebP or GIF picture."
        ),
        "unsupported_format": (
            "Pictures in {format} format are not accepted. "
            "Please choose a JPEG, PNG, WebP or GIF picture."
        ),
        "too_many_pixels": (
            "The picture has too many pixels; at most {max_megapixels} million are allowed."
        ),
    }

    def __init__(self, code: str, params: Mapping[str, object] | None = None) -> None:
        if code not in self.MESSAGES:
            raise KeyError(f"unknown image error code {code!r}")
        self.code = code
        self.params: dict[str, object] = dict(params or {})
        super().__init__(self.message)

    @property
    def template(self) -> str:
        """The untranslated message with ``{placeholders}``."""
        return self.MESSAGES[self.code]

    @property
    def message(self) -> str:
        """The English message with parameters filled in."""
        return self.template.format(**self.params)


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """A cleaned photo and its thumbnail, both JPEG, named by content hash."""

    data: bytes = field(repr=False)
    thumbnail: bytes = field(repr=False)
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    sha256: str
    source_format: str

    @property
    def key(self) -> str:
        """Storage key; the same photo uploaded twice is stored once."""
        return self.sha256


def process_upload(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> ProcessedImage:
    """Turn an untrusted upload into a safe, upright, metadata-free JPEG and thumbnail.

    Raises ImageError for anything refused; no other exception is expected to escape
    for any input bytes.
    """
    if len(data) > max_bytes:
        raise ImageError("too_large", {"size_mb": _mb(len(data)), "max_mb": _mb(max_bytes)})

    image, source_format = _decode(data)
    image = _flatten_to_rgb(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # Pillow carries `info` (EXIF, XMP, ICC, JPEG comments, dpi) from image to image
    # and some encoders write parts of it back out; start the output from pixels only.
    image.info = {}

    full = _encode_jpeg(image, JPEG_QUALITY)
    thumb, (thumb_width, thumb_height) = _make_thumbnail(image)
    return ProcessedImage(
        data=full,
        thumbnail=thumb,
        width=image.width,
        height=image.height,
        thumb_width=thumb_width,
        thumb_height=thumb_height,
        sha256=hashlib.sha256(full).hexdigest(),
        source_format=source_format,
    )


def store(processed: ProcessedImage, media_dir: Path) -> str:
    """Write ``<key>.jpg`` and ``<key>_t.jpg`` into media_dir and return the key.

    Each file is written to a temporary name and renamed into place, so a reader never
    sees a half-written photo. The thumbnail goes first: whenever ``<key>.jpg`` exists
    its thumbnail does too. Files already present are not rewritten (same name, same
    content).
    """
    key = processed.sha256
    # The key becomes a file name; never trust it to be what process_upload made.
    if not _KEY_RE.fullmatch(key) or hashlib.sha256(processed.data).hexdigest() != key:
        raise ValueError("processed image key does not match its data")

    media_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(media_dir / f"{key}_t.jpg", processed.thumbnail)
    _write_atomic(media_dir / f"{key}.jpg", processed.data)
    return key


# --- decoding -------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[Image.Image, str]:
    """Open, check and fully decode the first frame, upright, colours in sRGB."""
    # Pillow only warns between its limit and twice its limit; make that an error
    # here. (catch_warnings is process-global, but the only filter it adds is this.)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data))
            source_format = image.format or ""
            if source_format not in ACCEPTED_FORMATS:
                raise ImageError("unsupported_format", {"format": source_format or "?"})
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise _too_many_pixels(width, height)
            if source_format in ("JPEG", "MPO"):
                _request_jpeg_draft(image)
            image.load()
            image = ImageOps.exif_transpose(image)
            return _to_srgb(image), source_format
        except ImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels() from exc
        except Exception as exc:  # hostile files make Pillow's parsers raise anything
            raise ImageError("not_an_image") from exc


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ImageError:
    params: dict[str, object] = {"max_megapixels": MAX_IMAGE_PIXELS // 1_000_000}
    if width is not None and height is not None:
        params.update(width=width, height=height)
    return ImageError("too_many_pixels", params)


def _request_jpeg_draft(image: Image.Image) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the result is shrunk anyway.

    A 12 MP photo then decodes in a fraction of the time and memory. Scaling is
    uniform, so it does not matter that EXIF rotation is applied afterwards.
    """
    width, height = image.size
    scale = MAX_SIDE / max(width, height)
    if scale < 1:
        image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert pixels described by an embedded ICC profile to sRGB.

    The profile itself is not kept, so without this wide-gamut (Display P3) iPhone
    photos would look washed out. A profile that cannot be used is simply ignored.
    """
    icc = image.info.get("icc_profile")
    if not icc or ImageCms is None or image.mode not in ("RGB", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, _srgb_profile(), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    return converted if converted is not None else image


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    """Built once, on first use."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency becomes white (as on the page), 16-bit grey scaled."""
    if image.mode.startswith("I"):
        # 16-bit greyscale PNG: Pillow would clip 0..65535 to 255 (all white).
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, _WHITE)
        background.alpha_composite(rgba)
        return background.convert("RGB")
    return image.convert("RGB")


# --- encoding -------------------------------------------------------------------------


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def _make_thumbnail(image: Image.Image) -> tuple[bytes, tuple[int, int]]:
    """A list-page thumbnail of at most THUMB_SIDE px and THUMB_MAX_BYTES.

    Quality is lowered step by step until it fits; if even the lowest quality is too
    big (very noisy pictures), the thumbnail is made smaller until it fits.
    """
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    for quality in THUMB_QUALITIES:
        data = _encode_jpeg(thumb, quality)
        if len(data) <= THUMB_MAX_BYTES:
            return data, thumb.size
    while True:  # ends: a 1x1 JPEG is a few hundred bytes
        width, height = thumb.size
        thumb = thumb.resize(
            (max(1, width * 3 // 4), max(1, height * 3 // 4)), Image.Resampling.LANCZOS
        )
        data = _encode_jpeg(thumb, THUMB_QUALITIES[-1])
        if len(data) <= THUMB_MAX_BYTES:
            return data, thumb.size


# --- storage --------------------------------------------------------------------------


def _write_atomic(target: Path, data: bytes) -> None:
    if target.exists():
        return
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp makes 0600; media is served to everyone
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _mb(size: int) -> str:
    """Megabytes for people: 8, 8.5 (never 8.0 or 8.4999)."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")
