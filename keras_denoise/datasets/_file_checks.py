"""Checks of image files before decoding: readability and orientation."""

import contextlib
import numbers
import os

import numpy as np

# EXIF orientations (tag 0x0112) and the NumPy steps that display them
# upright, as Pillow's `ImageOps.exif_transpose` does.
_ORIENT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: np.rot90(a, 2),
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 2).swapaxes(0, 1),
    8: lambda a: np.rot90(a, 1),
}
_TRANSPOSED = (5, 6, 7, 8)


def _orientation(image):
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - a broken EXIF block is ignored
        return 1


def _check_readable(path):
    """A missing file, and one that cannot be read (no read permission on
    it, no search permission on its folder), each get their own error."""
    try:
        mode = os.stat(path).st_mode
    except PermissionError:
        raise PermissionError(
            f"Permission denied: cannot reach image file {path!r} (a "
            "folder on its path is not searchable)"
        ) from None
    except OSError:
        raise FileNotFoundError(f"No such image file: {path!r}") from None
    import stat

    if not stat.S_ISREG(mode):
        raise FileNotFoundError(f"No such image file: {path!r}")
    if not os.access(path, os.R_OK):
        raise PermissionError(
            f"Permission denied: cannot read image file {path!r}"
        )


def _check_max_pixels(max_pixels):
    if max_pixels is None:
        return None
    if not isinstance(max_pixels, numbers.Integral) or isinstance(
        max_pixels, bool
    ):
        raise TypeError(
            "`max_pixels` must be a positive integer or None. "
            f"Received: max_pixels={max_pixels!r}"
        )
    if max_pixels < 1:
        raise ValueError(
            "`max_pixels` must be a positive integer or None. "
            f"Received: max_pixels={max_pixels!r}"
        )
    return int(max_pixels)


@contextlib.contextmanager
def _pixel_limit(max_pixels):
    """Pillow's decompression-bomb limit set to `max_pixels` for the block
    (Pillow reads it from a module attribute); `None` leaves it alone."""
    from PIL import Image

    if max_pixels is None:
        yield
        return
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved
