"""Charts drawn with matplotlib on its Agg canvas (no display needed):
latent-space scatter plots, training histories and figures per
corruption. Each is returned as a uint8 RGB array and, given a `path`,
saved as PNG atomically (see `plots`).
"""

import math
import os

import numpy as np

from keras_denoise.visualization.plots import _save_png
from keras_denoise.visualization.plots import project_2d


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
