"""Image grids, latent-space scatter plots and training-history plots.

Everything is drawn with Pillow (no matplotlib needed) and saved as PNG
atomically: the file is written under a temporary name and renamed, so a
reader never sees half an image.
"""

import io
import math
import os

import numpy as np

from keras_denoise.datasets.image_files import write_bytes_atomic

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


def _to_uint8(images, value_range):
    low, high = value_range
    images = (np.asarray(images, dtype="float32") - low) / (high - low)
    return np.round(np.clip(images, 0.0, 1.0) * 255.0).astype("uint8")


def _save_pil(image, path):
    if not os.fspath(path).lower().endswith(".png"):
        raise ValueError(f"`path` must end in '.png'. Received: path={path!r}")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    write_bytes_atomic(path, buffer.getvalue())


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
        value_range: `(min, max)` of the pixel values, mapped to 0-255.
            Defaults to `(0.0, 1.0)`.
        padding: pixels between images. Defaults to `2`.
        scale: integer magnification (nearest neighbour), handy for 8x8
            digits. Defaults to `1`.

    Returns:
        The grid as a uint8 array `(height, width, 3)`.

    Raises:
        TypeError, ValueError: for malformed rows or labels.

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
    height, width = rows[0].shape[1] * scale, rows[0].shape[2] * scale
    margin = 0
    if labels:
        margin = 7 * max(len(str(label)) for label in labels) + 2 * padding
    columns = max(len(row) for row in rows)
    grid = np.full(
        (
            padding + len(rows) * (height + padding),
            margin + padding + columns * (width + padding),
            3,
        ),
        255,
        dtype="uint8",
    )
    for r, row in enumerate(_to_uint8(row, value_range) for row in rows):
        if row.shape[-1] == 1:
            row = np.repeat(row, 3, axis=-1)
        row = row.repeat(scale, axis=1).repeat(scale, axis=2)
        top = padding + r * (height + padding)
        for c, image in enumerate(row):
            left = margin + padding + c * (width + padding)
            grid[top : top + height, left : left + width] = image
    picture = Image.fromarray(grid)
    if labels:
        draw = ImageDraw.Draw(picture)
        for r, label in enumerate(labels):
            top = padding + r * (height + padding) + max(0, height // 2 - 5)
            draw.text((padding, top), str(label), fill=(0, 0, 0))
    if path is not None:
        _save_pil(picture, path)
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
    """
    return image_grid(
        [clean, corrupted, reconstructed],
        path=path,
        labels=["clean", "input", "output"],
        **kwargs,
    )


def _project_2d(codes):
    codes = np.asarray(codes, dtype="float64")
    if codes.ndim != 2 or len(codes) == 0:
        raise ValueError(
            "`codes` must be a non-empty array (n, latent_dim). "
            f"Received: shape={codes.shape}"
        )
    if codes.shape[1] == 1:
        return np.concatenate([codes, np.zeros_like(codes)], axis=1)
    if codes.shape[1] == 2:
        return codes
    centered = codes - codes.mean(axis=0)
    _, _, vt = np.linalg.svd(centered, full_matrices=False)
    return centered @ vt[:2].T


def latent_scatter(codes, labels=None, path=None, size=480, point_radius=2):
    """Scatter plot of latent codes (first two dims, or PCA beyond two).

    Args:
        codes: array `(n, latent_dim)`.
        labels: integer class per point (colors), or `None`. Defaults to
            `None`.
        path: PNG file to write atomically, or `None`. Defaults to `None`.
        size: side of the square picture in pixels. Defaults to `480`.
        point_radius: radius of the dots. Defaults to `2`.

    Returns:
        The plot as a uint8 array `(size, size, 3)`.

    Raises:
        ValueError: if `codes` is not 2-D or `labels` has another length.
    """
    from PIL import Image
    from PIL import ImageDraw

    points = _project_2d(codes)
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(points):
            raise ValueError(
                "`labels` must have one entry per code. "
                f"Received: {len(labels)} labels for {len(points)} codes"
            )
    margin = 20
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high - low > 0, high - low, 1.0)
    xy = margin + (points - low) / span * (size - 2 * margin)
    picture = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    frame = margin // 2
    draw.rectangle(
        [frame, frame, size - frame, size - frame], outline=(0, 0, 0)
    )
    for i, (x, y) in enumerate(xy):
        color = (
            _PALETTE[int(labels[i]) % len(_PALETTE)]
            if labels is not None
            else _PALETTE[0]
        )
        y = size - y
        draw.ellipse(
            [
                x - point_radius,
                y - point_radius,
                x + point_radius,
                y + point_radius,
            ],
            fill=color,
        )
    if path is not None:
        _save_pil(picture, path)
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
        ValueError: if there is nothing to plot or a key is missing.
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
        _save_pil(picture, path)
    return np.asarray(picture)
