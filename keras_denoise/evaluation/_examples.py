"""Example grids written by `evaluate_corruptions`."""

import re

import numpy as np

from keras_denoise._images import centre_crop


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "corruption"


class Examples:
    """The first `count` (clean, input, output) triples of a corruption,
    kept as centre crops of at most `size` pixels a side and written as
    one grid once complete."""

    def __init__(self, path, count, size, value_range):
        self.path, self.count, self.size = path, count, size
        self.value_range = value_range
        self.rows = []  # (clean, corrupted, restored) crops
        self.written = False

    def add(self, clean, corrupted, restored):
        if self.written or not self.count:
            return
        take = self.count - len(self.rows)
        height, width = clean.shape[1:3]
        if self.size is not None:
            height, width = min(height, self.size), min(width, self.size)
        for triple in zip(
            *(
                centre_crop(x[:take], height, width)
                for x in (clean, corrupted, restored)
            ),
            strict=True,
        ):
            self.rows.append(tuple(np.array(x) for x in triple))
        if len(self.rows) >= self.count:
            self.write()

    def write(self):
        if self.written or not self.rows:
            return
        from keras_denoise.visualization import comparison_grid

        height = min(r[0].shape[0] for r in self.rows)
        width = min(r[0].shape[1] for r in self.rows)
        clean, corrupted, restored = (
            np.concatenate(
                [centre_crop(r[i][None], height, width) for r in self.rows]
            )
            for i in range(3)
        )
        comparison_grid(
            clean,
            corrupted,
            restored,
            path=self.path,
            value_range=self.value_range,
        )
        self.written = True
        self.rows = []
