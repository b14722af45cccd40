"""Photo files for tests, made with Pillow: a phone photo with EXIF and GPS, and hostile files."""

from __future__ import annotations

import functools
import io

from PIL import Image

ORIENTATION = 0x0112
GPS_IFD = 0x8825
MAKE = 0x010F


def phone_jpeg(size: tuple[int, int] = (300, 100), *, orientation: int | None = None) -> bytes:
    """A JPEG as a phone writes it: EXIF with make, GPS position and (optionally) orientation.

    Left third blue, the rest red, so a test can tell which way up the stored photo is.
    """
    image = Image.new("RGB", size, "red")
    image.paste((0, 0, 255), (0, 0, size[0] // 3, size[1]))
    exif = Image.Exif()
    exif[MAKE] = "Telefoonmerk"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 5.0, 30.0), 3: "E", 4: (4.0, 53.0, 10.0)}
    if orientation:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png(size: tuple[int, int] = (120, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 200)).save(out, "PNG")
    return out.getvalue()


def heic(size: tuple[int, int] = (64, 48)) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, "HEIF")
    return out.getvalue()


@functools.cache
def decompression_bomb() -> bytes:
    """A PNG of 10,000 x 10,000 one-bit pixels: about 12 kB that would unpack to 100 M pixels.

    Made once per process (~0.4 s of CPU, compressing 12 MB of zeros): two test modules put it
    in their parameters, so every test process builds it while collecting, whichever runs them.
    The same bytes every time (bytes cannot be changed)."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")
    return out.getvalue()


def truncated_jpeg() -> bytes:
    whole = phone_jpeg((400, 300))
    return whole[: len(whole) // 2]


def text_named_jpg() -> bytes:
    return b"Dit is geen foto, maar een tekstbestand met de naam foto.jpg.\n" * 20


def eleven_megabytes() -> bytes:
    """A JPEG header followed by padding: over the 10 MB limit before anything is decoded."""
    return phone_jpeg() + b"\0" * (11 * 1024 * 1024)


def read(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))
