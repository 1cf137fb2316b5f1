"""Peak signal-to-noise ratio: the `psnr` function and the `PSNR` metric."""

import math
import numbers

import keras
from keras import ops

from keras_denoise.metrics._common import ImageMean
from keras_denoise.metrics._common import prepare_pair
from keras_denoise.metrics._common import validate_max_val


def psnr(y_true, y_pred, max_val=1.0):
    """Peak signal-to-noise ratio of each image, in decibels.

    `10 * log10(max_val**2 / mse)`, with the mean squared error taken over
    all the pixels and channels of an image. Identical images give `inf`
    (like `skimage.metrics.peak_signal_noise_ratio`); the `PSNR` metric caps
    the value instead.

    Args:
        y_true: reference images, float, `(batch, height, width, channels)`
            or one image `(height, width, channels)`; any channel order.
        y_pred: images to score, same shape as `y_true`.
        max_val: dynamic range of the images (1.0 for [0, 1], 255.0 for
            [0, 255]). Defaults to `1.0`.

    Returns:
        A float32 tensor `(batch,)`, or a scalar for rank-3 inputs.

    Raises:
        TypeError: if an input is not a floating-point tensor.
        ValueError: if the shapes differ, the rank is not 3 or 4, or
            `max_val` is not a finite number > 0.

    Example:

    >>> import numpy as np
    >>> clean = np.full((2, 8, 8, 1), 0.5, dtype="float32")
    >>> noisy = clean + 0.1
    >>> [round(float(v), 2) for v in keras_denoise.metrics.psnr(clean, noisy)]
    [20.0, 20.0]
    """
    max_val = validate_max_val(max_val)
    y_true, y_pred, single = prepare_pair(y_true, y_pred)
    mse = ops.mean(ops.square(y_true - y_pred), axis=(1, 2, 3))
    # mse == 0 gives log(inf) == inf, the exact value.
    value = (20.0 * math.log10(max_val)) - 10.0 * ops.log(mse) / math.log(10.0)
    return value[0] if single else value


@keras.saving.register_keras_serializable(package="keras_denoise")
class PSNR(ImageMean):
    """Mean peak signal-to-noise ratio (dB) over all the images seen.

    Each image's PSNR (see `keras_denoise.metrics.psnr`) is capped at
    `max_psnr` before averaging, so that a perfectly reconstructed image
    (infinite PSNR) does not make the mean infinite.

    `update_state(y_true, y_pred, sample_weight=None)` takes one weight
    `>= 0` per image (or one for the batch); images of weight 0 are left
    out. The result is NaN while the total weight seen is 0 (before the
    first update, or after only zero weights): an empty mean, not a score.

    Args:
        max_val: dynamic range of the images. Defaults to `1.0`.
        max_psnr: cap of each image's PSNR in dB, or `None` for no cap
            (the mean is then `inf` once an image is reproduced exactly).
            Defaults to `100.0`.
        name: name of the metric. Defaults to `"psnr"`.
        dtype: dtype of the result. Defaults to `None` (float32).

    Raises:
        ValueError: if `max_val` or `max_psnr` is not a number > 0; from
            `update_state`, if `sample_weight` has a negative weight or a
            length other than 1 or the batch size.

    Example:

    >>> model = keras.Sequential([keras.Input((8, 8, 1)),
    ...                           keras.layers.Conv2D(1, 3, padding="same")])
    >>> model.compile(optimizer="adam", loss="mse",
    ...               metrics=[keras_denoise.metrics.PSNR()])
    """

    def __init__(self, max_val=1.0, max_psnr=100.0, name="psnr", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.max_val = validate_max_val(max_val)
        if max_psnr is not None and (
            isinstance(max_psnr, bool)
            or not isinstance(max_psnr, numbers.Real)
            or not 0 < max_psnr < float("inf")
        ):
            raise ValueError(
                "`max_psnr` must be None or a finite number > 0. "
                f"Received: max_psnr={max_psnr!r}"
            )
        self.max_psnr = None if max_psnr is None else float(max_psnr)

    def per_image(self, y_true, y_pred):
        """PSNR of each image of the batch (capped at `max_psnr`), in dB."""
        values = psnr(y_true, y_pred, max_val=self.max_val)
        if self.max_psnr is not None:
            values = ops.minimum(values, self.max_psnr)
        return values

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "max_val": self.max_val,
            "max_psnr": self.max_psnr,
        }
