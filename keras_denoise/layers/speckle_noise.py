"""The `SpeckleNoise` layer."""

import keras
from keras import ops

from keras_denoise._validation import validate_severity
from keras_denoise.layers._random import draw_per_sample
from keras_denoise.layers._random import shared_draw
from keras_denoise.layers._random import standard_normal
from keras_denoise.layers.base_corruption import BaseCorruption


@keras.saving.register_keras_serializable(package="keras_denoise")
class SpeckleNoise(BaseCorruption):
    """Multiplicative (speckle) noise: `x + x * N(0, stddev)`.

    The noise is proportional to the signal, as in ultrasound, radar and
    laser imaging: dark pixels stay almost clean, bright ones get the most
    noise. Active only when `training=True`; the identity otherwise. With a
    `(min, max)` range for `stddev`, each sample of the batch gets its own
    standard deviation drawn uniformly from the range.

    Args:
        stddev: standard deviation of the multiplicative noise (relative to
            the pixel value), or a `(min, max)` range drawn per sample.
            Must be >= 0.
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
        ValueError: if `stddev` is negative or its range has min > max.
        TypeError: if `stddev` is not a number or a pair of numbers, or the
            input is not a float tensor.

    Example:

    >>> import numpy as np
    >>> layer = keras_denoise.layers.SpeckleNoise((0.05, 0.2), seed=1)
    >>> images = np.full((2, 8, 8, 3), 0.5, dtype="float32")
    >>> noisy = layer(images, training=True)
    >>> tuple(noisy.shape)
    (2, 8, 8, 3)
    """

    def __init__(
        self,
        stddev,
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
        self.stddev = validate_severity("stddev", stddev, min_value=0.0)

    def corrupt_batch(self, images):
        return images + self.additive_noise(images)

    def additive_noise(self, images, weight=None, draws=None):
        """The `delta` such that the output is `clip(images + delta)`.

        `delta` is `images * noise * stddev`, the standard normal noise
        taken from the `draws` cache (see `_random.shared_draw`).
        `weight`, 0/1 of shape `(batch, 1, 1, 1)`, multiplies the
        per-sample standard deviation: `RandomCorruption` uses it to zero
        `delta` on the samples it did not choose for this layer, at no
        cost over the batch.
        """
        stddev = draw_per_sample(
            self.stddev, ops.shape(images)[0], self.seed_generator, images.dtype
        )
        dtype = keras.backend.standardize_dtype(images.dtype)
        noise = shared_draw(
            draws,
            ("standard_normal", dtype),
            lambda: standard_normal(
                ops.shape(images), self.seed_generator, images.dtype
            ),
        )
        scale = stddev if weight is None else stddev * weight
        return images * noise * scale

    def get_config(self):
        config = super().get_config()
        config["stddev"] = self.stddev
        return config
