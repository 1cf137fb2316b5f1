"""Image grids and the 2-D projection of latent codes.

Image grids are arrays written with Pillow; the charts (latent scatter,
history, per-corruption bars) live in `charts`. Everything is saved as PNG
atomically: the file is written under a temporary name and renamed, so a
reader never sees half an image. The callbacks `ImageGrid` and
`LatentSpacePlot` draw with the same functions.
"""

import numbers
import os

import numpy as np

from keras_denoise._files import write_bytes_atomic
from keras_denoise._images import encode_png
from keras_denoise._images import tile_rows
from keras_denoise._validation import validate_projection

# The "tab10" palette: ten colours that stay distinct for colour-blind eyes.
_PALETTE = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)


def _save_png(picture, path):
    """Writes a `PIL.Image` or uint8 array to the PNG file `path` atomically."""
    if not os.fspath(path).lower().endswith(".png"):
        raise ValueError(f"`path` must end in '.png'. Received: path={path!r}")
    write_bytes_atomic(path, encode_png(picture))


def _check_rows(rows):
    if isinstance(rows, np.ndarray) or not isinstance(rows, (list, tuple)):
        raise TypeError(
            "`rows` must be a list of image batches. "
            f"Received: rows of type {type(rows).__name__}"
        )
    if not rows:
        raise ValueError("`rows` must hold at least one batch of images.")
    checked = []
    for i, row in enumerate(rows):
        row = np.asarray(row)
        if row.ndim == 3:
            row = row[..., None]
        if row.ndim != 4 or row.shape[-1] not in (1, 3):
            raise ValueError(
                "Each row must be a batch (n, height, width, 1 or 3). "
                f"Received: rows[{i}].shape={row.shape}"
            )
        checked.append(row)
    shapes = {row.shape[1:3] for row in checked}
    if len(shapes) > 1:
        raise ValueError(
            f"All rows must hold images of one size. Received sizes: {shapes}"
        )
    return checked


# Height in pixels of a line of Pillow's default font, with room below it.
_LINE = 14


def _check_captions(captions, rows):
    if captions is None:
        return None
    if not isinstance(captions, (list, tuple)) or len(captions) != len(rows):
        raise ValueError(
            "`captions` must be a list with one entry per row (`None` or one "
            f"text per image). Received: captions={captions!r}"
        )
    checked = []
    for r, (entry, row) in enumerate(zip(captions, rows, strict=True)):
        if entry is not None and (
            isinstance(entry, str)
            or not isinstance(entry, (list, tuple))
            or len(entry) > len(row)
        ):
            raise ValueError(
                "Each entry of `captions` must be `None` or a list of at "
                f"most {len(row)} texts for the images of its row. "
                f"Received: captions[{r}]={entry!r}"
            )
        checked.append(entry)
    return checked


def image_grid(
    rows,
    path=None,
    labels=None,
    value_range=(0.0, 1.0),
    padding=2,
    scale=1,
    title=None,
    captions=None,
):
    """Tiles rows of images into one picture, optionally saved as PNG.

    Typical rows are clean / corrupted / reconstructed images; each row
    can be labelled on its left, the grid can carry a title and each image
    a caption below it (for example its PSNR).

    Args:
        rows: list of image batches `(n, height, width, channels)` with 1
            or 3 channels (rank-3 gray batches are accepted); rows may have
            different lengths.
        path: PNG file to write atomically, or `None`. Defaults to `None`.
        labels: one text label per row, or `None`. Defaults to `None`.
        value_range: `(min, max)` of the pixel values, mapped to 0-255;
            `None` stretches the smallest and largest value of the grid to
            black and white. Defaults to `(0.0, 1.0)`.
        padding: pixels between images. Defaults to `2`.
        scale: integer magnification (nearest neighbour), handy for 8x8
            digits. Defaults to `1`.
        title: a line of text above the grid, or `None`. Defaults to
            `None`.
        captions: one entry per row: `None`, or a list of texts written
            under the row's images (one per image, from the first); or
            `None` for no captions. Defaults to `None`.

    Returns:
        The grid as a uint8 array `(height, width, 3)`.

    Raises:
        TypeError: if `rows` is not a list or tuple of batches.
        ValueError: if a row is not a batch of 1- or 3-channel images, the
            rows hold images of different sizes, `labels` or `captions`
            does not have one entry per row, `scale` is not an integer
            >= 1 or `path` does not end in `.png`.

    Example:

    >>> import numpy as np
    >>> clean = np.random.rand(4, 8, 8, 1)
    >>> grid = keras_denoise.visualization.image_grid([clean, clean])
    >>> grid.shape
    (22, 42, 3)
    >>> grid = keras_denoise.visualization.image_grid(
    ...     [clean, clean],
    ...     title="digits",
    ...     captions=[None, ["a", "b", "c", "d"]],
    ...     scale=4,
    ... )
    >>> grid.shape  # a title line and a caption line per row added
    (112, 138, 3)
    """
    from PIL import Image
    from PIL import ImageDraw

    rows = _check_rows(rows)
    if labels is not None and len(labels) != len(rows):
        raise ValueError(
            "`labels` must have one entry per row. "
            f"Received: {len(labels)} labels for {len(rows)} rows"
        )
    if (
        not isinstance(scale, numbers.Integral)
        or isinstance(scale, bool)
        or scale < 1
    ):
        raise ValueError(
            f"`scale` must be an integer >= 1. Received: scale={scale!r}"
        )
    if title is not None and not isinstance(title, str):
        raise TypeError(
            f"`title` must be a string or None. Received: title={title!r}"
        )
    captions = _check_captions(captions, rows)
    margin = 0
    if labels:
        margin = 7 * max(len(str(label)) for label in labels) + 2 * padding
    top = _LINE if title else 0
    gap = _LINE if captions and any(c for c in captions) else 0
    grid = tile_rows(
        rows,
        value_range,
        padding,
        scale=scale,
        margin=margin,
        top=top,
        gap=gap,
    )
    if grid.shape[-1] == 1:
        grid = np.repeat(grid, 3, axis=-1)
    height = rows[0].shape[1] * scale
    width = rows[0].shape[2] * scale
    picture = Image.fromarray(grid)
    draw = ImageDraw.Draw(picture)
    if title:
        needed = int(np.ceil(draw.textlength(title))) + 2 * padding
        if needed > picture.width:  # widen the canvas to the title
            wider = Image.new("RGB", (needed, picture.height), "white")
            wider.paste(picture, (0, 0))
            picture = wider
            draw = ImageDraw.Draw(picture)
        draw.text((padding, 1), title, fill=(0, 0, 0))
    stride = height + gap + padding
    if labels:
        for r, label in enumerate(labels):
            upper = top + padding + r * stride + max(0, height // 2 - 5)
            draw.text((padding, upper), str(label), fill=(0, 0, 0))
    for r, entry in enumerate(captions or []):
        for c, text in enumerate(entry or []):
            left = margin + padding + c * (width + padding)
            centre = left + width / 2 - draw.textlength(str(text)) / 2
            upper = top + padding + r * stride + height + 1
            draw.text((max(left, centre), upper), str(text), fill=(0, 0, 0))
    if path is not None:
        _save_png(picture, path)
    return np.asarray(picture)


def comparison_grid(clean, corrupted, reconstructed, path=None, **kwargs):
    """A three-row grid: clean, corrupted and reconstructed images.

    Args:
        clean: batch of clean images `(n, height, width, channels)`.
        corrupted: the corrupted inputs, same shape.
        reconstructed: the model's outputs, same shape.
        path: PNG file to write, or `None`. Defaults to `None`.
        **kwargs: passed to `image_grid` (`value_range`, `scale`, ...).

    Returns:
        The grid as a uint8 array `(height, width, 3)`.

    Example:

    >>> import numpy as np
    >>> clean = np.random.rand(4, 8, 8, 1)
    >>> noisy = np.clip(clean + np.random.normal(0, 0.1, clean.shape), 0, 1)
    >>> grid = keras_denoise.visualization.comparison_grid(
    ...     clean, noisy, clean, path="examples.png", scale=2
    ... )
    >>> grid.shape[0]  # three rows of 16-pixel images, 2 pixels apart
    56
    """
    return image_grid(
        [clean, corrupted, reconstructed],
        path=path,
        labels=["clean", "input", "output"],
        **kwargs,
    )


def project_2d(codes, projection="auto"):
    """Projects latent codes `(n, latent_dim)` to `(n, 2)` points.

    `"auto"` keeps 1- or 2-D codes as they are (1-D codes get a zero second
    axis) and projects wider ones on their two leading principal components
    (PCA by singular value decomposition); `"first"` keeps the first two
    dimensions; `"pca"` always uses the principal components. The sign of
    each component is fixed so that its largest loading is positive, so the
    same codes in any order give the same picture.

    Args:
        codes: array `(n, latent_dim)`.
        projection: `"auto"`, `"first"` or `"pca"`. Defaults to `"auto"`.

    Returns:
        A float64 array `(n, 2)`.

    Raises:
        ValueError: if `codes` is not a non-empty 2-D array or `projection`
            is not one of the above.

    Example:

    >>> import numpy as np
    >>> codes = np.random.default_rng(0).normal(size=(10, 8))
    >>> keras_denoise.visualization.project_2d(codes).shape
    (10, 2)
    """
    codes = np.asarray(codes, dtype="float64")
    if codes.ndim != 2 or codes.shape[0] == 0 or codes.shape[1] == 0:
        raise ValueError(
            "`codes` must be a non-empty array (n, latent_dim). "
            f"Received: shape={codes.shape}"
        )
    validate_projection(projection)
    if codes.shape[1] < 2:
        return np.concatenate([codes, np.zeros_like(codes)], axis=1)
    if projection == "first" or (projection == "auto" and codes.shape[1] == 2):
        return codes[:, :2].copy()
    centred = codes - codes.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    components = components[:2]
    largest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(2), largest])
    components = components * np.where(signs == 0, 1.0, signs)[:, None]
    return centred @ components.T
