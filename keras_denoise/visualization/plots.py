"""Image grids, latent-space scatter plots and training-history plots.

Everything is drawn with Pillow (no matplotlib needed) and saved as PNG
atomically: the file is written under a temporary name and renamed, so a
reader never sees half an image. The callbacks `ImageGrid` and
`LatentSpacePlot` draw with the same functions.
"""

import math
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


def image_grid(
    rows,
    path=None,
    labels=None,
    value_range=(0.0, 1.0),
    padding=2,
    scale=1,
):
    """Tiles rows of images into one picture, optionally saved as PNG.

    Typical rows are clean / corrupted / reconstructed images; each row
    can be labelled on its left.

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

    Returns:
        The grid as a uint8 array `(height, width, 3)`.

    Raises:
        TypeError: if `rows` is not a list or tuple of batches.
        ValueError: if a row is not a batch of 1- or 3-channel images, the
            rows hold images of different sizes, `labels` does not have
            one entry per row, `scale` is not an integer >= 1 or `path`
            does not end in `.png`.

    Example:

    >>> import numpy as np
    >>> clean = np.random.rand(4, 8, 8, 1)
    >>> grid = keras_denoise.visualization.image_grid([clean, clean])
    >>> grid.shape
    (22, 42, 3)
    """
    from PIL import Image
    from PIL import ImageDraw

    rows = _check_rows(rows)
    if labels is not None and len(labels) != len(rows):
        raise ValueError(
            "`labels` must have one entry per row. "
            f"Received: {len(labels)} labels for {len(rows)} rows"
        )
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise ValueError(
            f"`scale` must be an integer >= 1. Received: scale={scale!r}"
        )
    margin = 0
    if labels:
        margin = 7 * max(len(str(label)) for label in labels) + 2 * padding
    grid = tile_rows(rows, value_range, padding, scale=scale, margin=margin)
    if grid.shape[-1] == 1:
        grid = np.repeat(grid, 3, axis=-1)
    height = rows[0].shape[1] * scale
    picture = Image.fromarray(grid)
    if labels:
        draw = ImageDraw.Draw(picture)
        for r, label in enumerate(labels):
            top = padding + r * (height + padding) + max(0, height // 2 - 5)
            draw.text((padding, top), str(label), fill=(0, 0, 0))
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


def latent_scatter(
    codes,
    labels=None,
    path=None,
    size=480,
    point_radius=2,
    projection="auto",
    title=None,
    legend=False,
):
    """Scatter plot of latent codes, coloured by label.

    The codes are projected to two dimensions with `project_2d` (first two
    dims, or PCA beyond two). Points with a non-finite coordinate are left
    out.

    Args:
        codes: array `(n, latent_dim)`.
        labels: integer class per point (colors), or `None`. Defaults to
            `None`.
        path: PNG file to write atomically, or `None`. Defaults to `None`.
        size: side of the square picture in pixels. Defaults to `480`.
        point_radius: radius of the dots. Defaults to `2`.
        projection: `"auto"`, `"first"` or `"pca"`, see `project_2d`.
            Defaults to `"auto"`.
        title: text written above the plot, or `None`. Defaults to `None`.
        legend: draw a legend of the label colours on the right (up to 20
            classes). Defaults to `False`.

    Returns:
        The plot as a uint8 array `(size, size, 3)`.

    Raises:
        ValueError: if `codes` is not 2-D, `labels` has another length or
            `projection` is unknown.

    Example:

    >>> import numpy as np
    >>> codes = np.random.default_rng(0).normal(size=(20, 2))
    >>> plot = keras_denoise.visualization.latent_scatter(
    ...     codes, labels=np.arange(20) % 3, size=128
    ... )
    >>> plot.shape
    (128, 128, 3)
    """
    from PIL import Image
    from PIL import ImageDraw

    points = project_2d(codes, projection)
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(points):
            raise ValueError(
                "`labels` must have one entry per code. "
                f"Received: {len(labels)} labels for {len(points)} codes"
            )
    classes = np.unique(labels) if labels is not None else ()
    margin = 20
    legend_width = 70 if legend and 0 < len(classes) <= 20 else 0
    left, top = margin, margin + (16 if title else 0)
    right, bottom = size - margin - legend_width, size - margin
    finite = np.all(np.isfinite(points), axis=1)
    low = points[finite].min(axis=0) if finite.any() else np.zeros(2)
    high = points[finite].max(axis=0) if finite.any() else np.ones(2)
    span = np.where(high - low > 0, high - low, 1.0)
    xs = left + (points[:, 0] - low[0]) / span[0] * (right - left)
    ys = bottom - (points[:, 1] - low[1]) / span[1] * (bottom - top)
    picture = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    frame = margin // 2
    draw.rectangle(
        [left - frame, top - frame, right + frame, bottom + frame],
        outline=(0, 0, 0),
    )
    for i in np.flatnonzero(finite):
        label = 0 if labels is None else int(labels[i])
        color = _PALETTE[label % len(_PALETTE)]
        x, y = xs[i], ys[i]
        draw.ellipse(
            [
                x - point_radius,
                y - point_radius,
                x + point_radius,
                y + point_radius,
            ],
            fill=color,
        )
    if title:
        draw.text((left, 4), str(title), fill=(0, 0, 0))
    if legend_width:
        for row, label in enumerate(classes):
            y = top + 4 + 16 * row
            x0 = right + frame + 8
            color = _PALETTE[int(label) % len(_PALETTE)]
            draw.rectangle((x0, y, x0 + 10, y + 10), fill=color)
            draw.text((x0 + 16, y - 1), str(int(label)), fill=(0, 0, 0))
    if path is not None:
        _save_png(picture, path)
    return np.asarray(picture)


def history_plot(history, path=None, keys=None, size=(640, 400)):
    """Line plot of the curves in a `fit` history (loss, metrics).

    Args:
        history: a `keras.callbacks.History` or its `history` dict.
        path: PNG file to write atomically, or `None`. Defaults to `None`.
        keys: names of the curves to draw; `None` draws all. Defaults to
            `None`.
        size: `(width, height)` in pixels. Defaults to `(640, 400)`.

    Returns:
        The plot as a uint8 array `(height, width, 3)`.

    Raises:
        TypeError: if `history` is neither a `History` nor a dict.
        ValueError: if there is nothing to plot or a key is missing.

    Example:

    >>> history = {"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6]}
    >>> plot = keras_denoise.visualization.history_plot(
    ...     history, path="history.png", size=(320, 200)
    ... )
    >>> plot.shape
    (200, 320, 3)
    """
    from PIL import Image
    from PIL import ImageDraw

    curves = getattr(history, "history", history)
    if not isinstance(curves, dict):
        raise TypeError(
            "`history` must be a keras History or a dict of lists. "
            f"Received: {type(history).__name__}"
        )
    keys = list(curves) if keys is None else list(keys)
    missing = [k for k in keys if k not in curves]
    if missing or not keys:
        raise ValueError(
            f"`keys` must name curves of the history {sorted(curves)}. "
            f"Received: keys={keys!r}"
        )
    values = [np.asarray(curves[k], dtype="float64") for k in keys]
    if not all(len(v) for v in values):
        raise ValueError("The history holds no epoch to plot.")
    width, height = size
    left, right, top, bottom = 60, 20, 20, 40 + 12 * len(keys)
    low = min(float(np.nanmin(v)) for v in values)
    high = max(float(np.nanmax(v)) for v in values)
    if not math.isfinite(low) or not math.isfinite(high):
        low, high = 0.0, 1.0
    if high - low <= 0:
        high = low + 1.0
    epochs = max(len(v) for v in values)
    picture = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    plot_w, plot_h = width - left - right, height - top - bottom
    draw.rectangle([left, top, left + plot_w, top + plot_h], outline=(0, 0, 0))
    draw.text((4, top), f"{high:.4g}", fill=(0, 0, 0))
    draw.text((4, top + plot_h - 10), f"{low:.4g}", fill=(0, 0, 0))
    draw.text((left, top + plot_h + 4), "epoch 1", fill=(0, 0, 0))
    draw.text(
        (left + plot_w - 50, top + plot_h + 4),
        f"epoch {epochs}",
        fill=(0, 0, 0),
    )
    for i, (key, curve) in enumerate(zip(keys, values, strict=True)):
        color = _PALETTE[i % len(_PALETTE)]
        xs = left + np.arange(len(curve)) / max(epochs - 1, 1) * plot_w
        ys = top + (1.0 - (curve - low) / (high - low)) * plot_h
        points = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
        if len(points) > 1:
            draw.line(points, fill=color, width=2)
        for x, y in points:
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=color)
        legend_y = top + plot_h + 20 + 12 * i
        draw.line([(left, legend_y + 5), (left + 20, legend_y + 5)], fill=color)
        draw.text((left + 26, legend_y), key, fill=(0, 0, 0))
    if path is not None:
        _save_png(picture, path)
    return np.asarray(picture)
