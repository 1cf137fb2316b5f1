"""The `PoissonNoise` layer."""

import keras
import numpy as np
from keras import ops

from keras_denoise._validation import validate_severity
from keras_denoise.layers._poisson import sample_poisson
from keras_denoise.layers._random import draw_per_sample
from keras_denoise.layers.base_corruption import BaseCorruption

# Below the smallest normal float32, `peak` is flushed to zero on CPU and
# `counts / peak` is 0 / 0.
_MIN_PEAK = float(np.finfo("float32").tiny)


@keras.saving.register_keras_serializable(package="keras_denoise")
class PoissonNoise(BaseCorruption):
    """Shot noise: `Poisson(x * peak) / peak`.

    Models photon counting: a pixel of value `x` collects on average
    `x * peak` photons, and the count is Poisson distributed. The result has
    mean `x` and variance `x / peak`, so a small `peak` (few photons) means
    strong noise. Negative pixel values count as 0 photons; NaN and `inf`
    pixels are passed through as they are (then clipped). Active only when
    `training=True`; the identity otherwise. With a `(min, max)` range for
    `peak`, each sample of the batch gets its own peak drawn uniformly from
    the range.

    Keras has no Poisson sampler; the one used here is written with
    `keras.ops` and `keras.random` only (inversion for small rates,
    Hörmann's transformed rejection for large ones, both with a fixed number
    of vectorised steps), so it works on every backend, in `tf.data` and
    under XLA. It computes in float32 (float64 for float64 inputs) and
    returns the layer's compute dtype.

    Args:
        peak: expected photon count of a pixel of value 1, > 0, or a
            `(min, max)` range drawn per sample.
        value_range: `(min, max)` to clip the result to, or `None`.
            Defaults to `(0.0, 1.0)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        seed: integer seed for reproducible noise. Defaults to `None`.
        **kwargs: base layer arguments such as `name` and `dtype`.

    Call arguments:
        inputs: float image (rank 3) or batch of images (rank 4).
        training: Python boolean; add noise only when `True`.

    Input shape:
        `(height, width, channels)` or `(batch, height, width, channels)`,
        channels first with `data_format="channels_first"`.

    Output shape:
        Same as the input.

    Raises:
        ValueError: if `peak` (or its range's min) is below the smallest
            normal float32, about 1.18e-38, or its range has min > max.
        TypeError: if `peak` is not a number or a pair of numbers, or the
            input is not a float tensor.

    Example:

    >>> import numpy as np
    >>> layer = keras_denoise.layers.PoissonNoise(peak=30.0, seed=1)
    >>> images = np.full((2, 8, 8, 1), 0.5, dtype="float32")
    >>> noisy = layer(images, training=True)
    >>> tuple(noisy.shape)
    (2, 8, 8, 1)
    """

    def __init__(
        self,
        peak,
        value_range=(0.0, 1.0),
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            value_range=value_range,
            data_format=data_format,
            seed=seed,
            **kwargs,
        )
        self.peak = validate_severity(
            "peak", peak, min_value=0.0, min_inclusive=False
        )
        low = self.peak[0] if isinstance(self.peak, tuple) else self.peak
        if low < _MIN_PEAK:
            raise ValueError(
                f"`peak` must be at least {_MIN_PEAK:.8g}, the smallest "
                "normal float32: a smaller peak is flushed to 0 in the "
                "computation and every pixel comes out NaN. "
                f"Received: peak={peak!r}"
            )

    def corrupt_batch(self, images):
        dtype = keras.backend.standardize_dtype(images.dtype)
        work_dtype = "float64" if dtype == "float64" else "float32"
        peak = draw_per_sample(
            self.peak, ops.shape(images)[0], self.seed_generator, work_dtype
        )
        rate = ops.maximum(ops.cast(images, work_dtype), 0.0) * peak
        counts = sample_poisson(rate, self.seed_generator, dtype=work_dtype)
        return ops.cast(counts / peak, dtype)

    def get_config(self):
        config = super().get_config()
        config["peak"] = self.peak
        return config
