"""Image grids, latent-space scatter plots and training-history plots.

Image grids are arrays written with Pillow; charts (latent scatter,
history, per-corruption bars) are drawn with matplotlib on its Agg canvas
(no display needed). Everything is saved as PNG atomically: the file is
written under a temporary name and renamed, so a reader never sees half an
image. The callbacks `ImageGrid` and
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


def _figure(size):
    """A matplotlib figure of `size` `(width, height)` pixels, drawn with
    the Agg canvas (no display needed, any thread)."""
    from matplotlib.figure import Figure

    dpi = 100
    return Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)


def _render(figure, path):
    """The figure as a uint8 RGB array, also written to `path` (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if path is not None and not os.fspath(path).lower().endswith(".png"):
        raise ValueError(f"`path` must end in '.png'. Received: path={path!r}")
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    picture = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    if path is not None:
        _save_png(picture, path)
    return picture


def _color(index, many=False):
    """Colour `index` of matplotlib's "tab10" (or "tab20") palette."""
    from matplotlib import colormaps

    palette = colormaps["tab20" if many else "tab10"]
    return palette(index % palette.N)


def latent_scatter(
    codes,
    labels=None,
    path=None,
    size=480,
    point_radius=2,
    projection="auto",
    title=None,
    legend=True,
):
    """Scatter plot of latent codes, coloured by label (matplotlib).

    The codes are projected to two dimensions with `project_2d` (first two
    dims, or PCA beyond two); the axis titles say which. Points with a
    non-finite coordinate are left out. Up to 20 integer classes get a
    colour each (the "tab10"/"tab20" palettes) and a legend; more labels,
    or non-integer ones, get a colour map and a colour bar.

    Args:
        codes: array `(n, latent_dim)`.
        labels: class (or value) per point for the colours, or `None`.
            Defaults to `None`.
        path: PNG file to write atomically, or `None`. Defaults to `None`.
        size: side of the square picture in pixels. Defaults to `480`.
        point_radius: radius of the dots in pixels. Defaults to `2`.
        projection: `"auto"`, `"first"` or `"pca"`, see `project_2d`.
            Defaults to `"auto"`.
        title: title above the plot, or `None`. Defaults to `None`.
        legend: draw the legend or colour bar of the labels. Defaults to
            `True`.

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
    points = project_2d(codes, projection)
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(points):
            raise ValueError(
                "`labels` must have one entry per code. "
                f"Received: {len(labels)} labels for {len(points)} codes"
            )
    finite = np.all(np.isfinite(points), axis=1)
    points = points[finite]
    figure = _figure((size, size))
    axes = figure.add_subplot()
    # Marker areas are in points squared; at 100 dpi a point is 1.39 px.
    area = (2 * point_radius / 1.389) ** 2
    width = np.shape(codes)[1]
    pca = projection == "pca" or (projection == "auto" and width > 2)
    names = ("principal component 1", "principal component 2")
    if not pca:
        names = ("latent dimension 1", "latent dimension 2")
    if labels is None:
        axes.scatter(points[:, 0], points[:, 1], s=area, color=_color(0))
    else:
        labels = labels[finite]
        classes = np.unique(labels)
        if np.issubdtype(labels.dtype, np.integer) and len(classes) <= 20:
            for label in classes:
                chosen = labels == label
                axes.scatter(
                    points[chosen, 0],
                    points[chosen, 1],
                    s=area,
                    color=_color(int(label), len(classes) > 10),
                    label=str(label),
                )
            if legend:
                axes.legend(
                    title="label",
                    fontsize="small",
                    markerscale=max(1.0, 3 / max(point_radius, 1)),
                    loc="center left",
                    bbox_to_anchor=(1.0, 0.5),
                    frameon=False,
                )
        else:
            dots = axes.scatter(
                points[:, 0], points[:, 1], s=area, c=labels, cmap="viridis"
            )
            if legend:
                figure.colorbar(dots, ax=axes, label="label")
    axes.set_xlabel(names[0])
    axes.set_ylabel(names[1])
    if title:
        axes.set_title(str(title))
    figure.tight_layout()
    return _render(figure, path)


def _log_scale(values):
    """Whether positive values spanning two decades read better on a
    logarithmic axis."""
    values = np.concatenate([v[np.isfinite(v)] for v in values])
    if values.size == 0 or values.min() <= 0:
        return False
    return values.max() / values.min() > 100


def history_plot(history, path=None, keys=None, size=None):
    """Training curves of a `fit` history, one panel per quantity
    (matplotlib).

    Each loss or metric gets its own panel, its validation curve (`val_*`)
    beside the training one, with axis titles and a legend; a panel whose
    values span more than two decades gets a logarithmic axis. So a VAE's
    `loss`, `reconstruction_loss` and `kl_loss`, of very different sizes,
    are each readable.

    Args:
        history: a `keras.callbacks.History` or its `history` dict.
        path: PNG file to write atomically, or `None`. Defaults to `None`.
        keys: names of the curves to draw; `None` draws all. Defaults to
            `None`.
        size: `(width, height)` in pixels, or `None` for 400 pixels wide
            per panel (up to three panels a row) and 300 high per row.
            Defaults to `None`.

    Returns:
        The plot as a uint8 array `(height, width, 3)`.

    Raises:
        TypeError: if `history` is neither a `History` nor a dict.
        ValueError: if there is nothing to plot or a key is missing.

    Example:

    >>> history = {"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6]}
    >>> plot = keras_denoise.visualization.history_plot(
    ...     history, path="history.png", size=(320, 240)
    ... )
    >>> plot.shape
    (240, 320, 3)
    """
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
    values = {k: np.asarray(curves[k], dtype="float64") for k in keys}
    if not all(len(v) for v in values.values()):
        raise ValueError("The history holds no epoch to plot.")
    groups = {}
    for key in keys:
        groups.setdefault(key.removeprefix("val_"), []).append(key)
    columns = min(3, len(groups))
    rows = math.ceil(len(groups) / columns)
    if size is None:
        size = (400 * columns, 300 * rows)
    figure = _figure(size)
    for index, (name, members) in enumerate(groups.items()):
        axes = figure.add_subplot(rows, columns, index + 1)
        for key in members:
            curve = values[key]
            validation = key.startswith("val_")
            axes.plot(
                np.arange(1, len(curve) + 1),
                curve,
                marker="o",
                markersize=3,
                color=_color(1 if validation else 0),
                label="validation" if validation else "training",
            )
        if _log_scale([values[k] for k in members]):
            axes.set_yscale("log")
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.set_ylabel(name)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize="small")
    figure.tight_layout()
    return _render(figure, path)


def corruption_chart(report, path=None, metric="psnr", size=None):
    """Bar chart of a `CorruptionReport`: per corruption, the corrupted
    input, the model's output and each baseline (matplotlib).

    Args:
        report: a `keras_denoise.evaluation.CorruptionReport`, or its
            `to_dict()` (a dict with a `"corruptions"` entry).
        path: PNG file to write atomically, or `None`. Defaults to `None`.
        metric: `"psnr"`, `"ssim"` or `"mse"`. Defaults to `"psnr"`.
        size: `(width, height)` in pixels, or `None` for a width that
            grows with the number of corruptions. Defaults to `None`.

    Returns:
        The chart as a uint8 array `(height, width, 3)`.

    Raises:
        TypeError: if `report` is neither a report nor its dict.
        ValueError: if `metric` is unknown or the report is empty.

    Example:

    >>> report = {"corruptions": {
    ...     "gaussian:25": {"input": {"psnr": 20.2}, "output": {"psnr": 28.1}},
    ...     "clean": {"input": {"psnr": None}, "output": {"psnr": 39.0}},
    ... }}
    >>> chart = keras_denoise.visualization.corruption_chart(
    ...     report, size=(400, 300)
    ... )
    >>> chart.shape
    (300, 400, 3)
    """
    metrics = {"psnr": "PSNR (dB)", "ssim": "SSIM", "mse": "MSE"}
    if metric not in metrics:
        raise ValueError(
            f"`metric` must be one of {sorted(metrics)}. "
            f"Received: metric={metric!r}"
        )
    summary = report.to_dict() if hasattr(report, "to_dict") else report
    if not isinstance(summary, dict) or "corruptions" not in summary:
        raise TypeError(
            "`report` must be a CorruptionReport or its to_dict(). "
            f"Received: {type(report).__name__}"
        )
    rows = summary["corruptions"]
    if not rows:
        raise ValueError("The report holds no corruption to chart.")
    series = {"input": "corrupted input", "output": "model output"}
    for row in rows.values():
        for name in row.get("baselines") or {}:
            series.setdefault(name, f"{name} baseline")

    def value(row, part):
        figures = row.get(part) if part in ("input", "output") else None
        if figures is None:
            figures = (row.get("baselines") or {}).get(part) or {}
        number = figures.get(metric)
        return np.nan if number is None else float(number)

    names = list(rows)
    if size is None:
        size = (max(480, 280 + 100 * len(names)), 360)
    figure = _figure(size)
    axes = figure.add_subplot()
    width = 0.8 / len(series)
    positions = np.arange(len(names))
    for index, (part, label) in enumerate(series.items()):
        heights = np.array([value(rows[name], part) for name in names])
        bars = axes.bar(
            positions + (index - (len(series) - 1) / 2) * width,
            np.nan_to_num(heights, nan=0.0),
            width,
            label=label,
            color=_color(index),
        )
        if part == "output":
            axes.bar_label(
                bars,
                labels=[
                    "" if np.isnan(h) else f"{h:.1f}" if h >= 1 else f"{h:.3g}"
                    for h in heights
                ],
                fontsize="x-small",
            )
    axes.set_xticks(positions, names, rotation=20, ha="right")
    axes.set_xlabel("corruption")
    axes.set_ylabel(metrics[metric])
    axes.set_title(f"{metrics[metric].split()[0]} per corruption")
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes.grid(True, axis="y", alpha=0.3)
    figure.tight_layout()
    return _render(figure, path)
