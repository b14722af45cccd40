"""portal.photos: what a patient's photo becomes before it is stored (no Flask, no database)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from portal import photos
from tests import photo_files


def test_the_photo_module_needs_no_flask_and_imports_pillow_only_for_a_photo():
    code = "import sys, portal.photos; assert 'flask' not in sys.modules and 'PIL' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_exif_and_gps_are_gone_from_the_stored_photo():
    stored = photos.clean(photo_files.phone_jpeg(), "IMG_0001.jpg")
    image = photo_files.read(stored.data)
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(photo_files.GPS_IFD) == {}
    assert "exif" not in image.info and b"Telefoonmerk" not in stored.data


def test_the_exif_orientation_is_applied_before_it_is_dropped():
    stored = photos.clean(photo_files.phone_jpeg((300, 100), orientation=6), "staand.jpg")
    image = photo_files.read(stored.data).convert("RGB")
    assert image.size == (100, 300)  # turned a quarter clockwise: upright, as the phone showed it
    red, _green, blue = image.getpixel((50, 10))
    assert blue > 200 and red < 60  # the blue left third is now at the top


def test_a_large_photo_is_scaled_to_the_longest_side_cap():
    stored = photos.clean(photo_files.phone_jpeg((4000, 3000)), "groot.jpg")
    assert (stored.width, stored.height) == (2000, 1500)
    assert stored.content_type == "image/jpeg"


def test_a_png_stays_a_png_and_a_heic_becomes_a_jpeg():
    assert photos.clean(photo_files.png(), "scherm.png").content_type == "image/png"
    stored = photos.clean(photo_files.heic(), "IMG_0002.HEIC")
    assert stored.content_type == "image/jpeg" and photo_files.read(stored.data).format == "JPEG"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (photo_files.text_named_jpg(), photos.Problem.NOT_AN_IMAGE),
        (photo_files.truncated_jpeg(), photos.Problem.BROKEN),
        (photo_files.decompression_bomb(), photos.Problem.TOO_MANY_PIXELS),
        (photo_files.eleven_megabytes(), photos.Problem.TOO_LARGE),
        (b"", photos.Problem.EMPTY),
    ],
    ids=["text-named-jpg", "truncated-jpeg", "decompression-bomb", "11-MB", "empty"],
)
def test_hostile_files_are_refused_with_the_reason(data, problem):
    with pytest.raises(photos.PhotoRefused) as refused:
        photos.clean(data, "foto.jpg")
    assert refused.value.problem is problem and refused.value.filename == "foto.jpg"


def test_a_gif_is_not_accepted_even_though_pillow_reads_it():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(photos.PhotoRefused) as refused:
        photos.clean(out.getvalue(), "bewegend.gif")
    assert refused.value.problem is photos.Problem.NOT_AN_IMAGE


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("C:\\Users\\anna\\Pictures\\IMG_0003.jpg", "IMG_0003.jpg"),
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("\u202egpj.exe", "gpj.exe"),
        ("", "foto"),
        ("a" * 300 + ".jpg", "a" * 100),
    ],
)
def test_a_file_name_is_shown_without_folders_or_invisible_characters(sent, shown):
    assert photos.display_name(sent) == shown
