"""Reading and writing image files: gray or RGB, 8- or 16-bit.

Pillow reads the headers (cheap, no pixel decoding) to validate a set of
files before any work; TensorFlow decodes the pixels because Pillow turns
16-bit RGB PNGs into 8-bit ones.
"""

import os
import warnings

import numpy as np

from keras_denoise._files import write_bytes_atomic
from keras_denoise.datasets._file_checks import _ORIENT
from keras_denoise.datasets._file_checks import _TRANSPOSED
from keras_denoise.datasets._file_checks import _check_max_pixels
from keras_denoise.datasets._file_checks import _check_readable
from keras_denoise.datasets._file_checks import _orientation
from keras_denoise.datasets._file_checks import _pixel_limit

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
"""File extensions read as images (compared in lower case)."""


class ImageInfo(tuple):
    """`(height, width, channels, bit_depth)` of an image file.

    Returned by `read_image_info`; a tuple whose items are also named
    attributes.

    Attributes:
        height: rows of pixels.
        width: columns of pixels.
        channels: 1 (gray), 2 (gray and alpha), 3 (RGB) or 4 (RGBA),
            as `read_image` decodes the file.
        bit_depth: bits per channel, 8 or 16.

    Example:

    >>> info = keras_denoise.datasets.ImageInfo(480, 640, 3, 8)
    >>> info.height, info.width, info.channels, info.bit_depth
    (480, 640, 3, 8)
    >>> height, width, channels, bit_depth = info
    """

    __slots__ = ()

    def __new__(cls, height, width, channels, bit_depth):
        return super().__new__(cls, (height, width, channels, bit_depth))

    height = property(lambda self: self[0])
    width = property(lambda self: self[1])
    channels = property(lambda self: self[2])
    bit_depth = property(lambda self: self[3])


_MODE_CHANNELS = {
    "1": 1,
    "L": 1,
    "I": 1,
    "I;16": 1,
    "I;16B": 1,
    "I;16L": 1,
    "F": 1,
    "LA": 2,
    "P": 3,
    "RGB": 3,
    "RGBA": 4,
}

# Channels TensorFlow decodes a PNG to, by the IHDR colour type. Pillow's
# mode is not enough: it opens 16-bit gray+alpha PNGs as RGBA.
_PNG_CHANNELS = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}


def _png_header(path):
    """`(bit_depth, channels)` of a PNG as TensorFlow decodes it, or None.

    A palette image with a `tRNS` chunk decodes to RGBA; TensorFlow ignores
    `tRNS` for gray and RGB images.
    """
    with open(path, "rb") as f:
        head = f.read(33)
        if head[:8] != b"\x89PNG\r\n\x1a\n" or len(head) < 33:
            return None
        bit_depth = 16 if head[24] == 16 else 8
        color_type = head[25]
        if color_type not in _PNG_CHANNELS:
            return None
        channels = _PNG_CHANNELS[color_type]
        if color_type == 3:
            # Walk the chunks before the pixel data looking for tRNS.
            while True:
                chunk = f.read(8)
                if len(chunk) < 8 or chunk[4:] in (b"IDAT", b"IEND"):
                    break
                if chunk[4:] == b"tRNS":
                    channels = 4
                    break
                f.seek(int.from_bytes(chunk[:4], "big") + 4, os.SEEK_CUR)
    return bit_depth, channels


def _bmp_bits_per_pixel(path):
    with open(path, "rb") as f:
        head = f.read(30)
    if len(head) < 30:
        return None
    if int.from_bytes(head[14:18], "little") == 12:  # OS/2 core header
        return int.from_bytes(head[24:26], "little")
    return int.from_bytes(head[28:30], "little")


def _bmp_channels(path, mode):
    """Channels TensorFlow decodes a BMP to: it reads 8-bit BMPs as gray
    (ignoring the palette), 24-bit as RGB and 32-bit as RGBA, and nothing
    else."""
    bits = _bmp_bits_per_pixel(path)
    if bits == 32:
        return 4
    if bits == 24:
        return 3
    if bits == 8 and mode == "L":
        return 1
    if bits == 8:
        raise ValueError(
            f"Unsupported BMP file {path!r}: an 8-bit BMP with a colour "
            "palette (only gray 8-bit, 24-bit and 32-bit BMPs are read); "
            "save it as PNG"
        )
    raise ValueError(
        f"Unsupported BMP file {path!r}: {bits} bits per pixel (only 8-bit "
        "gray, 24-bit and 32-bit BMPs are read); save it as PNG"
    )


def read_image_info(path, max_pixels=None):
    """Reads the header of an image file without decoding its pixels.

    The channels are those `read_image` (TensorFlow) decodes the file to:
    a palette PNG with transparency gives 4, a 32-bit BMP gives 4.

    Args:
        path: the file.
        max_pixels: the largest image (height x width) accepted; `None`
            keeps Pillow's decompression-bomb limit
            (`PIL.Image.MAX_IMAGE_PIXELS`, about 89 million). Defaults to
            `None`.

    Returns:
        An `ImageInfo` `(height, width, channels, bit_depth)`.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if it is not a readable PNG, JPEG or BMP image, or is
            a kind of BMP TensorFlow cannot decode (1-, 4- or 16-bit, or
            8-bit with a colour palette).

    Example:

    >>> import numpy as np
    >>> keras_denoise.datasets.write_image("rgb.png", np.random.rand(8, 12, 3))
    >>> info = keras_denoise.datasets.read_image_info("rgb.png")
    >>> info
    (8, 12, 3, 8)
    >>> info.width, info.channels
    (12, 3)
    """
    from PIL import Image
    from PIL import UnidentifiedImageError

    path = os.fspath(path)
    max_pixels = _check_max_pixels(max_pixels)
    _check_readable(path)
    try:
        with _pixel_limit(max_pixels), warnings.catch_warnings():
            # Pillow's bomb warning becomes this function's one error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.format not in ("PNG", "JPEG", "BMP", "MPO"):
                    raise ValueError(
                        f"Unsupported image format {image.format} in "
                        f"{path!r}: expected PNG, JPEG or BMP"
                    )
                width, height = image.size
                mode = image.mode
                file_format = image.format
                frames = getattr(image, "n_frames", 1)
                orientation = _orientation(image)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        limit = Image.MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
        raise ValueError(
            f"Image too large to read: {path!r} has more pixels than "
            f"the limit of {limit} (max_pixels; a decompression bomb?)"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"Not a readable image file: {path!r}") from error
    if frames > 1 and file_format != "MPO":
        raise ValueError(
            f"Animated image with {frames} frames in {path!r}: only "
            "single-frame images are read (extract the frames first)"
        )
    if orientation in _TRANSPOSED:
        height, width = width, height
    if mode not in _MODE_CHANNELS:
        raise ValueError(f"Unsupported image mode {mode} in {path!r}")
    channels, bit_depth = _MODE_CHANNELS[mode], 8
    if file_format == "PNG":
        header = _png_header(path)
        if header is not None:
            bit_depth, channels = header
    elif file_format == "BMP":
        channels = _bmp_channels(path, mode)
    return ImageInfo(height, width, channels, bit_depth)


def list_image_files(directory, recursive=False):
    """Sorted paths of the PNG/JPEG/BMP files in `directory`.

    Args:
        directory: the folder to list.
        recursive: also list the files of its sub-folders. Defaults to
            `False`.

    Returns:
        A sorted list of paths (str), by extension in `IMAGE_EXTENSIONS`.

    Raises:
        FileNotFoundError: if `directory` is not a directory.
        ValueError: if it holds no image file.

    Example:

    >>> import os, tempfile
    >>> import numpy as np
    >>> folder = tempfile.mkdtemp()
    >>> for name in ("b.png", "a.JPG", "notes.txt"):
    ...     path = os.path.join(folder, name)
    ...     if name.endswith(".txt"):
    ...         open(path, "w").close()
    ...     else:
    ...         keras_denoise.datasets.write_image(path, np.zeros((4, 4)))
    >>> paths = keras_denoise.datasets.list_image_files(folder)
    >>> [os.path.basename(p) for p in paths]
    ['a.JPG', 'b.png']
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"No such directory: {directory!r}")
    paths = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        paths.extend(
            os.path.join(root, name)
            for name in sorted(files)
            if name.lower().endswith(IMAGE_EXTENSIONS)
        )
        if not recursive:
            break
    if not paths:
        raise ValueError(
            f"No image files ({', '.join(IMAGE_EXTENSIONS)}) in {directory!r}"
        )
    return sorted(paths)


def read_image(path, max_pixels=None):
    """Decodes an image file to float32 in [0, 1].

    Args:
        path: a PNG (8 or 16 bit), JPEG or BMP file.
        max_pixels: the largest image (height x width) accepted; `None`
            keeps Pillow's decompression-bomb limit (about 89 million
            pixels). Defaults to `None`.

    Returns:
        `(image, bit_depth)`: a float32 array `(height, width, channels)`
        with the file's channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) and
        the file's bit depth (8 or 16).

    Raises:
        FileNotFoundError, ValueError: for a missing or unreadable file.

    Example:

    >>> import numpy as np
    >>> keras_denoise.datasets.write_image(
    ...     "ramp.png", np.linspace(0, 1, 16).reshape(4, 4), bit_depth=16
    ... )
    >>> image, bit_depth = keras_denoise.datasets.read_image("ramp.png")
    >>> image.shape, image.dtype, bit_depth
    ((4, 4, 1), dtype('float32'), 16)
    """
    info = read_image_info(path, max_pixels)
    import tensorflow as tf

    with open(path, "rb") as f:
        contents = f.read()
    try:
        image = tf.io.decode_image(
            contents, dtype=tf.float32, expand_animations=False
        ).numpy()
    except (tf.errors.InvalidArgumentError, ValueError) as error:
        raise ValueError(f"Not a readable image file: {path!r}") from error
    from PIL import Image

    with _pixel_limit(max_pixels), Image.open(path) as opened:
        orientation = _orientation(opened)
    if orientation in _ORIENT:
        # TensorFlow ignores EXIF: show the pixels as viewers do.
        image = np.ascontiguousarray(_ORIENT[orientation](image))
    return image, info.bit_depth


def _encode_image(image, path, bit_depth=8):
    """Encodes a float image in [0, 1] for the file type of `path`.

    PNG keeps 8 or 16 bits; JPEG and BMP are 8-bit.
    """
    import tensorflow as tf

    image = np.clip(np.asarray(image, dtype="float32"), 0.0, 1.0)
    if image.ndim == 2:
        image = image[..., None]
    extension = os.path.splitext(path)[1].lower()
    if extension == ".png":
        if bit_depth == 16:
            pixels = np.round(image * 65535.0).astype("uint16")
        else:
            pixels = np.round(image * 255.0).astype("uint8")
        return tf.io.encode_png(pixels).numpy()
    pixels = np.round(image * 255.0).astype("uint8")
    if extension in (".jpg", ".jpeg"):
        if pixels.shape[-1] in (2, 4):
            pixels = pixels[..., :-1]
        return tf.io.encode_jpeg(pixels, quality=95).numpy()
    if extension == ".bmp":
        import io

        from PIL import Image

        buffer = io.BytesIO()
        squeezed = pixels[..., 0] if pixels.shape[-1] == 1 else pixels
        Image.fromarray(squeezed).save(buffer, format="BMP")
        return buffer.getvalue()
    raise ValueError(
        f"Unsupported output file type {extension!r}; expected one of "
        f"{IMAGE_EXTENSIONS}"
    )


def write_image(path, image, bit_depth=8):
    """Writes a float image in [0, 1] to a PNG, JPEG or BMP file atomically.

    The file type follows the extension of `path`. Values are clipped to
    [0, 1]; PNG files keep 8 or 16 bits, JPEG (quality 95) and BMP files
    are 8-bit, and JPEG drops an alpha channel. The file is written under a
    temporary name and renamed, and its directory is created if needed.

    Args:
        path: the file to write, ending in `.png`, `.jpg`, `.jpeg` or
            `.bmp`.
        image: float array `(height, width)` or `(height, width,
            channels)` with 1 to 4 channels, in [0, 1].
        bit_depth: 8 or 16; 16 is used for PNG files only. Defaults to
            `8`.

    Raises:
        ValueError: if the extension of `path` is not a supported type.

    Example:

    >>> import numpy as np
    >>> keras_denoise.datasets.write_image(
    ...     "gray16.png", np.random.rand(8, 8), bit_depth=16
    ... )
    >>> keras_denoise.datasets.read_image_info("gray16.png")
    (8, 8, 1, 16)
    """
    image = _checked_image(image)
    if isinstance(bit_depth, bool) or bit_depth not in (8, 16):
        raise ValueError(
            f"`bit_depth` must be 8 or 16. Received: bit_depth={bit_depth!r}"
        )
    extension = os.path.splitext(os.fspath(path))[1].lower()
    if extension == ".bmp" and image.shape[-1] == 2:
        raise ValueError(
            "A BMP file holds 1, 3 or 4 channels, not gray and alpha: "
            f"write a PNG instead. Received: image.shape={image.shape}"
        )
    write_bytes_atomic(path, _encode_image(image, path, bit_depth))


def _checked_image(image):
    """`image` as a float32 array `(h, w, c)`, refusing what no image file
    can hold (a batch, no pixels, 5+ channels, NaN)."""
    try:
        array = np.asarray(image, dtype="float32")
    except (TypeError, ValueError):
        raise TypeError(
            "`image` must be an array of numbers. Received: "
            f"image={type(image).__name__}"
        ) from None
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3:
        raise ValueError(
            "`image` must be (height, width) or (height, width, channels); "
            f"write a batch one image at a time. Received: shape={array.shape}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"`image` has no pixels. Received: shape={array.shape}"
        )
    if not 1 <= array.shape[-1] <= 4:
        raise ValueError(
            f"`image` must have 1 to 4 channels. Received: shape={array.shape}"
        )
    if np.isnan(array).any():
        raise ValueError(
            f"`image` holds {int(np.isnan(array).sum())} NaN value(s)"
        )
    return array


def _listing(items, limit=10):
    items = list(items)
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items) - limit} more)"
    return shown


def check_pairs(noisy_paths, clean_paths):
    """Checks that paired files hold images of the same size.

    Only the files' headers are read (see `read_image_info`).

    Args:
        noisy_paths: paths of the corrupted images.
        clean_paths: paths of the clean images, one for one (as returned
            with `noisy_paths` by `match_pairs`).

    Returns:
        The `ImageInfo` of each clean file, in order.

    Raises:
        ValueError: listing the pairs whose two images differ in size, or
            if a file is not a readable image.

    Example:

    ```python
    noisy, clean = keras_denoise.datasets.match_pairs("noisy/", "clean/")
    infos = keras_denoise.datasets.check_pairs(noisy, clean)
    ```
    """
    noisy_infos = [read_image_info(p) for p in noisy_paths]
    clean_infos = [read_image_info(p) for p in clean_paths]
    mismatched = [
        f"{os.path.basename(n)} {a.height}x{a.width} vs "
        f"{os.path.basename(c)} {b.height}x{b.width}"
        for n, c, a, b in zip(
            noisy_paths, clean_paths, noisy_infos, clean_infos, strict=True
        )
        if a[:2] != b[:2]
    ]
    if mismatched:
        raise ValueError(
            f"{len(mismatched)} pair(s) have images of different sizes: "
            f"{_listing(mismatched)}"
        )
    return clean_infos
