"""Example grids written by `evaluate_corruptions`."""

import math
import numbers
import re

import numpy as np

from keras_denoise._images import centre_crop

# Example tiles smaller than this many pixels a side are magnified (by a
# whole factor, nearest neighbour) so that an 8x8 digit stays readable.
_READABLE = 96
_MAX_SCALE = 8
# Config entries that say nothing about a corruption's strength.
_PLUMBING = {"name", "trainable", "dtype", "seed", "data_format", "value_range"}


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "corruption"


def _number(value):
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{float(value):.4g}"
    return repr(value)


def describe(corruption):
    """The settings of a corruption in one line: `AdditiveGaussianNoise
    (stddev=0.098)`, chains joined by `then`; `None` is `no corruption`."""
    if corruption is None:
        return "no corruption"
    layers = getattr(corruption, "layers", None)
    if layers and hasattr(corruption, "get_config"):  # a Sequential chain
        return " then ".join(describe(layer) for layer in layers)
    if not hasattr(corruption, "get_config"):
        return getattr(corruption, "__name__", type(corruption).__name__)
    try:
        config = corruption.get_config()
    except Exception:  # a layer without a config is named by its class
        config = {}
    settings = ", ".join(
        f"{key}={_number(value)}"
        for key, value in config.items()
        if key not in _PLUMBING
        and value is not None
        and isinstance(value, (numbers.Real, str, tuple, list))
    )
    return f"{type(corruption).__name__}({settings})"


def _psnr(clean, other, max_val):
    mse = float(np.mean((np.asarray(clean, "float64") - other) ** 2))
    if mse == 0.0:
        return "PSNR inf"
    return f"{10.0 * math.log10(max_val**2 / mse):.2f} dB"


class Examples:
    """`count` (clean, input, output) triples of a corruption drawn
    evenly from all the images seen (a seeded reservoir sample, shown in
    the order of the images), kept as centre crops of at most `size`
    pixels a side and written as one labelled grid: the corruption's
    settings as title, the PSNR under each input and output."""

    def __init__(self, path, count, size, value_range, title=None, seed=0):
        self.path, self.count, self.size = path, count, size
        self.value_range = value_range
        self.title = title
        self.rows = []  # (index, clean, corrupted, restored) crops
        self.seen = 0
        self.rng = np.random.default_rng(seed)
        self.written = False

    def add(self, clean, corrupted, restored):
        if self.written or not self.count:
            return
        height, width = clean.shape[1:3]
        if self.size is not None:
            height, width = min(height, self.size), min(width, self.size)
        crops = [
            centre_crop(x, height, width) for x in (clean, corrupted, restored)
        ]
        for i in range(len(clean)):
            triple = (self.seen,) + tuple(np.array(c[i]) for c in crops)
            if len(self.rows) < self.count:
                self.rows.append(triple)
            else:
                j = int(self.rng.integers(0, self.seen + 1))
                if j < self.count:
                    self.rows[j] = triple
            self.seen += 1

    def write(self):
        if self.written or not self.rows:
            return
        from keras_denoise.visualization import comparison_grid

        rows = sorted(self.rows, key=lambda row: row[0])
        height = min(r[1].shape[0] for r in rows)
        width = min(r[1].shape[1] for r in rows)
        clean, corrupted, restored = (
            np.concatenate(
                [centre_crop(r[i][None], height, width) for r in rows]
            )
            for i in (1, 2, 3)
        )
        low, high = self.value_range
        max_val = float(high - low)
        scale = 1
        if min(height, width) < _READABLE:
            scale = min(_MAX_SCALE, math.ceil(_READABLE / min(height, width)))
        captions = [
            [_psnr(c, x, max_val) for c, x in zip(clean, other, strict=True)]
            for other in (corrupted, restored)
        ]
        comparison_grid(
            clean,
            corrupted,
            restored,
            path=self.path,
            value_range=self.value_range,
            scale=scale,
            title=self.title,
            captions=[None, *captions],
        )
        self.written = True
        self.rows = []
