"""Checking and re-encoding the photos a patient sends with an e-consult.

Pure: bytes in, clean bytes (or a reason for refusing) out; no Flask, no database.
A photo from a phone carries EXIF data: the GPS position of the patient's home,
the phone's make and serial, the time. None of that is the practice's business,
so every photo is decoded and saved anew with Pillow, and only the pixels are kept
(turned upright first, as the EXIF orientation says, so nothing is lost on the way).
Anything Pillow cannot decode as a JPEG, PNG or HEIC picture is refused, and so is a
picture whose header claims more pixels than a phone camera makes (a "decompression
bomb": a few kilobytes that would unpack into gigabytes of memory).
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.util import find_spec
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

# HEIC, the iPhone's default, only with the maintained pillow-heif plugin (a declared dependency).
HEIC_SUPPORTED = find_spec("pillow_heif") is not None

MAX_PHOTOS = 3
MAX_BYTES = 10 * 1024 * 1024  # per photo, as sent
MAX_SIDE = 2000  # longest side kept: enough to see a rash or a wound, a fraction of the bytes
# A 50-megapixel phone camera makes 8160 x 6144 = 50 M pixels; a header claiming more is refused
# before anything is decoded (Pillow's own bomb check starts at 89 M and only warns there).
MAX_PIXELS = 64_000_000
# The whole request body of the form with photos: 3 x 10 MB plus room for the typed fields.
MAX_REQUEST_BYTES = MAX_PHOTOS * MAX_BYTES + 1024 * 1024

_ACCEPTED_FORMATS = ("JPEG", "PNG", *(("HEIF",) if HEIC_SUPPORTED else ()))
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")


class Problem(StrEnum):
    """Why a photo was refused. The patient-facing sentences live with the form (they are translated)."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"  # more than MAX_BYTES
    HEIC = "heic"  # HEIC without a plugin to read it
    NOT_AN_IMAGE = "not_an_image"
    TOO_MANY_PIXELS = "too_many_pixels"  # a decompression bomb, or a panorama no screen needs
    BROKEN = "broken"  # a truncated or damaged file
    TOO_MANY = "too_many"  # more than MAX_PHOTOS
    TOO_MANY_UPLOADS = "too_many_uploads"  # photos chosen again and again on one form (the rate limit)


class PhotoRefused(ValueError):
    def __init__(self, problem: Problem, filename: str) -> None:
        super().__init__(f"{filename}: {problem}")
        self.problem = problem
        self.filename = filename


#: What a stored photo can be after re-encoding; the database's CHECK on request_photos lists the same.
STORED_TYPES = ("image/jpeg", "image/png")


@dataclass(frozen=True)
class CleanPhoto:
    """A photo as it is stored: re-encoded pixels only, no metadata."""

    filename: str
    content_type: str  # image/jpeg or image/png
    width: int
    height: int
    data: bytes


def display_name(filename: str | None, fallback: str = "foto") -> str:
    """The file name as the patient chose it, safe to show: no folders, no control or invisible characters."""
    raw = filename or ""
    name = PureWindowsPath(PurePosixPath(raw).name).name  # "C:\\Users\\x\\IMG.jpg" from old browsers too
    name = " ".join(_INVISIBLE.sub("", name).split())
    return name[:100] or fallback


@cache
def _pillow():
    """Pillow and the HEIC plugin, imported on the first photo: together they take a quarter of a
    second to import, which every worker start and every test process would otherwise pay."""
    from PIL import Image

    if HEIC_SUPPORTED:
        import pillow_heif

        pillow_heif.register_heif_opener()
    return Image


def clean(data: bytes, filename: str | None) -> CleanPhoto:
    """Check one uploaded file and re-encode it; raise PhotoRefused with the reason otherwise."""
    Image = _pillow()
    from PIL import UnidentifiedImageError

    name = display_name(filename)
    if not data:
        raise PhotoRefused(Problem.EMPTY, name)
    if len(data) > MAX_BYTES:
        raise PhotoRefused(Problem.TOO_LARGE, name)
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that: treat its warning as a refusal too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(_ACCEPTED_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoRefused(Problem.TOO_MANY_PIXELS, name) from exc
        except UnidentifiedImageError as exc:
            raise PhotoRefused(Problem.HEIC if _looks_like_heic(data) else Problem.NOT_AN_IMAGE, name) from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise PhotoRefused(Problem.BROKEN, name) from exc
        with image:
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused(Problem.TOO_MANY_PIXELS, name)
            try:
                return _reencoded(image, name)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise PhotoRefused(Problem.TOO_MANY_PIXELS, name) from exc
            except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated, damaged
                raise PhotoRefused(Problem.BROKEN, name) from exc


def _looks_like_heic(data: bytes) -> bool:
    """An ISO media file of the HEIF family (ftyp box with a HEIC brand), so the refusal can say what to do."""
    return data[4:8] == b"ftyp" and data[8:12] in {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}


def _reencoded(image: PILImage, name: str) -> CleanPhoto:
    """Upright, at most MAX_SIDE on its longest side, and saved from the pixels alone.

    A JPEG is decoded at a reduced scale straight away (``draft``), so a 48-megapixel
    photo never takes its full size in memory. PNG stays PNG (screenshots keep sharp
    text); JPEG and HEIC become JPEG.
    """
    from PIL import Image, ImageOps

    keep_png = image.format == "PNG"
    if image.format == "JPEG":
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))
    image.load()
    upright = ImageOps.exif_transpose(image)  # applies the EXIF orientation, before the EXIF goes
    upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    pixels = upright.convert("RGBA" if _has_alpha(upright) else "RGB") if keep_png else _flattened(upright)
    # A fresh image holds the pixels and nothing else: no EXIF, GPS, XMP, comments or text chunks.
    bare = Image.new(pixels.mode, pixels.size)
    bare.paste(pixels)
    out = io.BytesIO()
    if keep_png:
        bare.save(out, format="PNG")
        content_type = STORED_TYPES[1]
    else:
        bare.save(out, format="JPEG", quality=85)
        content_type = STORED_TYPES[0]
    return CleanPhoto(name, content_type, bare.width, bare.height, out.getvalue())


def _has_alpha(image: PILImage) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _flattened(image: PILImage) -> PILImage:
    """RGB for a JPEG: transparency on white (as a viewer would show it), CMYK and others converted."""
    from PIL import Image

    if _has_alpha(image):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")
