"""Tests for photo upload processing; every image is generated in memory."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms

from consult.media import images
from consult.media.images import ImageError, ProcessedImage, process_upload, store

RED = (220, 30, 30)
BLUE = (30, 30, 220)


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def _halves(size: tuple[int, int]) -> Image.Image:
    """Left half red, right half blue: shows which way an image was turned."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def _png_header(width: int, height: int) -> bytes:
    """A PNG that only claims a size: what a decompression bomb looks like up front."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header is patched to claim another size."""
    data = bytearray(_encode(Image.new("RGB", (16, 16)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _private_metadata(*, icc: bool = True) -> dict[str, object]:
    """Save parameters for what a phone writes: orientation, GPS, XMP, comment, ICC."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored landscape, displayed portrait
    exif[ExifTags.Base.Make] = "SecretCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 13.0, 45.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 10.0)
    params: dict[str, object] = {
        "exif": exif,
        "xmp": b'<x:xmpmeta><rdf:Description exif:GPSLatitude="31,13.75N"/></x:xmpmeta>',
        "comment": b"Room 502, Lane 88",
    }
    if icc:
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        params["icc_profile"] = srgb.tobytes()
    return params


_PRIVATE_MARKERS = (b"GPS", b"Exif", b"xmpmeta", b"SecretCam", b"Lane 88")


def _assert_no_metadata(data: bytes) -> None:
    out = _open(data)
    assert len(out.getexif()) == 0
    assert not {"exif", "xmp", "comment", "icc_profile"} & out.info.keys()
    for marker in _PRIVATE_MARKERS:
        assert marker not in data


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    """A 12 MP sideways JPEG carrying GPS and other private metadata."""
    return _encode(_halves((4000, 3000)), "JPEG", quality=70, **_private_metadata())


@pytest.fixture(scope="module")
def processed_phone_photo(phone_photo: bytes) -> ProcessedImage:
    return process_upload(phone_photo)


# --- the main path --------------------------------------------------------------------


def test_fixture_really_carries_private_metadata(phone_photo: bytes) -> None:
    source = Image.open(io.BytesIO(phone_photo))
    assert source.size == (4000, 3000)
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert all(marker in phone_photo for marker in _PRIVATE_MARKERS)


def test_phone_photo_is_resized_and_turned_upright(processed_phone_photo: ProcessedImage) -> None:
    out = _open(processed_phone_photo.data)
    assert out.format == "JPEG" and out.mode == "RGB"
    assert out.size == (1200, 1600) == (processed_phone_photo.width, processed_phone_photo.height)
    # Orientation 6 turns the stored left half (red) to the top.
    assert _close(out.getpixel((600, 200)), RED)
    assert _close(out.getpixel((600, 1400)), BLUE)
    assert out.info.get("progressive") == 1


def test_phone_photo_loses_all_metadata(processed_phone_photo: ProcessedImage) -> None:
    _assert_no_metadata(processed_phone_photo.data)
    _assert_no_metadata(processed_phone_photo.thumbnail)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_metadata_is_dropped_without_an_icc_profile_too(fmt: str) -> None:
    # No colour conversion happens here, so nothing incidental strips the metadata.
    source = _encode(_halves((64, 48)), fmt, **_private_metadata(icc=False))
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    processed = process_upload(source)
    assert (processed.width, processed.height) == (48, 64)  # orientation still applied
    _assert_no_metadata(processed.data)
    _assert_no_metadata(processed.thumbnail)


def test_thumbnail_is_small(processed_phone_photo: ProcessedImage) -> None:
    thumb = _open(processed_phone_photo.thumbnail)
    assert len(processed_phone_photo.thumbnail) <= 30 * 1024
    assert max(thumb.size) <= 480
    assert thumb.size == (360, 480)
    assert thumb.size == (processed_phone_photo.thumb_width, processed_phone_photo.thumb_height)
    assert _close(thumb.getpixel((180, 40)), RED)


def test_hash_names_the_content(phone_photo: bytes, processed_phone_photo: ProcessedImage) -> None:
    assert processed_phone_photo.sha256 == hashlib.sha256(processed_phone_photo.data).hexdigest()
    assert processed_phone_photo.key == processed_phone_photo.sha256
    assert processed_phone_photo.source_format == "JPEG"
    # Same upload, same key: duplicates are stored once.
    assert process_upload(phone_photo).sha256 == processed_phone_photo.sha256


def test_repr_does_not_dump_bytes(processed_phone_photo: ProcessedImage) -> None:
    assert len(repr(processed_phone_photo)) < 300


@pytest.mark.parametrize(
    ("orientation", "size", "first", "last"),
    [
        (1, (40, 20), RED, BLUE),
        (3, (40, 20), BLUE, RED),  # upside down
        (6, (20, 40), RED, BLUE),  # turned clockwise
        (8, (20, 40), BLUE, RED),  # turned anticlockwise
    ],
)
def test_orientation_is_applied(
    orientation: int, size: tuple[int, int], first: tuple[int, ...], last: tuple[int, ...]
) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    out = _open(process_upload(_encode(_halves((40, 20)), "JPEG", quality=95, exif=exif)).data)
    assert out.size == size
    assert _close(out.getpixel((2, 2)), first, 30)
    assert _close(out.getpixel((out.width - 3, out.height - 3)), last, 30)


def test_small_image_is_not_enlarged() -> None:
    processed = process_upload(_encode(Image.new("RGB", (300, 200), RED), "JPEG"))
    assert (processed.width, processed.height) == (300, 200)
    assert (processed.thumb_width, processed.thumb_height) == (300, 200)


def test_png_with_alpha_is_flattened_on_white() -> None:
    image = Image.new("RGBA", (2000, 1000), (0, 0, 0, 0))  # transparent black
    image.paste((0, 160, 0, 255), (1000, 0, 2000, 1000))  # opaque green right half
    processed = process_upload(_encode(image, "PNG"))
    out = _open(processed.data)
    assert out.mode == "RGB" and out.size == (1600, 800)
    assert _close(out.getpixel((100, 400)), (255, 255, 255))
    assert _close(out.getpixel((1500, 400)), (0, 160, 0))
    assert processed.source_format == "PNG"


def test_palette_transparency_is_flattened_on_white() -> None:
    image = Image.new("P", (60, 60), 0)
    image.putpalette([0, 0, 0, 200, 0, 0] + [0] * 762)
    image.paste(1, (30, 0, 60, 60))
    out = _open(process_upload(_encode(image, "PNG", transparency=0)).data)
    assert _close(out.getpixel((5, 30)), (255, 255, 255))
    assert _close(out.getpixel((55, 30)), (200, 0, 0))


def test_animated_gif_keeps_the_first_frame() -> None:
    frames = [Image.new("RGB", (64, 64), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    gif = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    processed = process_upload(gif)
    assert processed.source_format == "GIF"
    assert _close(_open(processed.data).getpixel((32, 32)), (255, 0, 0))


def test_webp_is_accepted() -> None:
    processed = process_upload(_encode(Image.new("RGB", (64, 48), BLUE), "WEBP"))
    assert processed.source_format == "WEBP"
    assert _close(_open(processed.data).getpixel((32, 24)), BLUE)


def test_cmyk_jpeg_becomes_rgb() -> None:
    processed = process_upload(_encode(Image.new("CMYK", (64, 64), (0, 255, 255, 0)), "JPEG"))
    out = _open(processed.data)
    assert out.mode == "RGB"
    assert _close(out.getpixel((32, 32)), (255, 0, 0), 20)


def test_sixteen_bit_grey_png_is_scaled_not_clipped() -> None:
    processed = process_upload(_encode(Image.new("I;16", (64, 64), 32768), "PNG"))
    assert _close(_open(processed.data).getpixel((32, 32)), (128, 128, 128), 3)


def test_unusable_icc_profile_is_ignored() -> None:
    data = _encode(Image.new("RGB", (64, 64), RED), "JPEG", icc_profile=b"not a profile")
    out = _open(process_upload(data).data)
    assert "icc_profile" not in out.info
    assert _close(out.getpixel((32, 32)), RED)


def test_noisy_picture_thumbnail_still_fits() -> None:
    noise = Image.frombytes("RGB", (1200, 900), os.urandom(1200 * 900 * 3))
    processed = process_upload(_encode(noise, "PNG"))
    assert len(processed.thumbnail) <= 30 * 1024
    assert max(_open(processed.thumbnail).size) <= 480


def test_thumbnail_shrinks_when_lowest_quality_is_not_enough(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(images, "THUMB_MAX_BYTES", 3000)
    noise = Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3))
    processed = process_upload(_encode(noise, "PNG"))
    assert len(processed.thumbnail) <= 3000
    assert processed.thumb_width < 400
    assert _open(processed.thumbnail).size == (processed.thumb_width, processed.thumb_height)


# --- refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        "征集：在小区门口加装一排自行车棚。\n".encode() * 20,
        b"%PDF-1.7\n" + b"0" * 200,
        b"\x89PNG\r\n\x1a\n",  # a signature and nothing else
    ],
    ids=["empty", "text", "pdf", "png-signature-only"],
)
def test_non_images_are_refused(data: bytes) -> None:
    with pytest.raises(ImageError) as refused:
        process_upload(data)
    assert refused.value.code == "not_an_image"


def test_too_large_is_refused_before_decoding() -> None:
    with pytest.raises(ImageError) as refused:
        process_upload(b"\xff" * (9 * 1024 * 1024))
    assert refused.value.code == "too_large"
    assert refused.value.params == {"size_mb": "9", "max_mb": "8"}
    assert str(refused.value) == "The photo is 9 MB; photos can be at most 8 MB."


def test_limit_is_configurable() -> None:
    small = _encode(Image.new("RGB", (64, 64), RED), "JPEG")
    with pytest.raises(ImageError, match="at most") as refused:
        process_upload(small, max_bytes=len(small) - 1)
    assert refused.value.code == "too_large"
    assert process_upload(small, max_bytes=len(small)).width == 64


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_jpeg_is_refused(phone_photo: bytes, fraction: float) -> None:
    small = _encode(_halves((800, 600)), "JPEG", quality=90)
    for data in (small, phone_photo):
        with pytest.raises(ImageError) as refused:
            process_upload(data[: int(len(data) * fraction)])
        assert refused.value.code == "not_an_image"


@pytest.mark.parametrize(("fmt", "name"), [("BMP", "BMP"), ("TIFF", "TIFF"), ("ICO", "ICO")])
def test_other_formats_are_refused(fmt: str, name: str) -> None:
    with pytest.raises(ImageError) as refused:
        process_upload(_encode(Image.new("RGB", (32, 32), RED), fmt))
    assert refused.value.code == "unsupported_format"
    assert refused.value.params == {"format": name}
    assert name in str(refused.value)


@pytest.mark.parametrize(
    "data",
    [
        _png_header(100_000, 100_000),  # Pillow's own hard limit (DecompressionBombError)
        _png_header(10_000, 10_000),  # Pillow would only warn; we refuse
        _png_header(8_000, 7_000),  # below Pillow's limits, above ours
        _jpeg_claiming(65_535, 65_535),
        _jpeg_claiming(8_000, 7_000),
    ],
    ids=["png-10G", "png-100M", "png-56M", "jpeg-4G", "jpeg-56M"],
)
def test_decompression_bombs_are_refused(data: bytes) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ImageError) as refused:
            process_upload(data)
    assert refused.value.code == "too_many_pixels"
    assert refused.value.params["max_megapixels"] == 50
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_image_error_carries_code_template_and_params() -> None:
    error = ImageError("unsupported_format", {"format": "BMP"})
    assert isinstance(error, ValueError)
    assert error.code == "unsupported_format"
    assert "{format}" in error.template
    assert error.message == str(error)
    assert "BMP" in error.message
    with pytest.raises(KeyError):
        ImageError("no_such_code")


_SAMPLES = [
    _encode(_halves((48, 32)), "JPEG"),
    _encode(Image.new("RGBA", (32, 32), (1, 2, 3, 100)), "PNG"),
    _encode(Image.new("RGB", (32, 32), RED), "GIF"),
    _encode(Image.new("RGB", (32, 32), BLUE), "WEBP"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(_SAMPLES),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    cut=st.none() | st.integers(0, 10_000),
)
def test_damaged_files_only_ever_raise_image_error(
    sample: bytes, edits: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(sample)
    for position, value in edits:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    try:
        processed = process_upload(bytes(data))
    except ImageError:
        return
    assert max(processed.width, processed.height) <= 1600
    assert len(processed.thumbnail) <= 30 * 1024


# --- storage --------------------------------------------------------------------------


def _files(directory: Path) -> set[str]:
    return {path.name for path in directory.iterdir()}


def test_store_writes_photo_and_thumbnail(
    tmp_path: Path, processed_phone_photo: ProcessedImage
) -> None:
    media = tmp_path / "media" / "ideas"  # created on demand
    key = store(processed_phone_photo, media)
    assert key == processed_phone_photo.sha256
    assert _files(media) == {f"{key}.jpg", f"{key}_t.jpg"}  # no temporary files left
    assert (media / f"{key}.jpg").read_bytes() == processed_phone_photo.data
    assert (media / f"{key}_t.jpg").read_bytes() == processed_phone_photo.thumbnail
    assert (media / f"{key}.jpg").stat().st_mode & 0o777 == 0o644


def test_store_twice_is_harmless(tmp_path: Path, processed_phone_photo: ProcessedImage) -> None:
    assert store(processed_phone_photo, tmp_path) == store(processed_phone_photo, tmp_path)
    assert len(_files(tmp_path)) == 2


def test_store_failure_leaves_nothing_behind(
    tmp_path: Path, processed_phone_photo: ProcessedImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(images.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        store(processed_phone_photo, tmp_path)
    assert _files(tmp_path) == set()


def test_store_refuses_a_key_that_does_not_match(
    tmp_path: Path, processed_phone_photo: ProcessedImage
) -> None:
    forged = ProcessedImage(
        data=processed_phone_photo.data,
        thumbnail=processed_phone_photo.thumbnail,
        width=1,
        height=1,
        thumb_width=1,
        thumb_height=1,
        sha256="../../etc/passwd",
        source_format="JPEG",
    )
    with pytest.raises(ValueError):
        store(forged, tmp_path)
    assert _files(tmp_path) == set()
