"""The `SaltAndPepperNoise` layer."""

import keras
from keras import ops

from keras_denoise.layers._validation import draw_per_sample
from keras_denoise.layers._validation import validate_number
from keras_denoise.layers._validation import validate_severity
from keras_denoise.layers.base_corruption import BaseCorruption


@keras.saving.register_keras_serializable(package="keras_denoise")
class SaltAndPepperNoise(BaseCorruption):
    """Impulse noise: a fraction of the pixels set to the min or max value.

    Each pixel is hit independently with probability `rate`; a hit pixel
    becomes "salt" (the maximum of `value_range`) with probability
    `salt_ratio` and "pepper" (the minimum) otherwise. All channels of a
    pixel are set together, as a dead or stuck sensor pixel would be. With
    `value_range=None` salt is 1 and pepper is 0. Active only when
    `training=True`; the identity otherwise.

    Args:
        rate: probability that a pixel is replaced, in [0, 1], or a
            `(min, max)` range drawn per sample.
        salt_ratio: probability that a replaced pixel is salt rather than
            pepper, in [0, 1]. Defaults to `0.5`.
        value_range: `(min, max)` of the image values: the pepper and salt
            values, and the range the result is clipped to. `None` means
            pepper 0, salt 1 and no clipping. Defaults to `(0.0, 1.0)`.
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
        ValueError: if `rate` or `salt_ratio` is outside [0, 1], or the
            range of `rate` has min > max.
        TypeError: if an argument is not a number, or the input is not a
            float tensor.

    Example:

    >>> import numpy as np
    >>> layer = keras_denoise.layers.SaltAndPepperNoise(0.1, seed=1)
    >>> images = np.full((2, 8, 8, 1), 0.5, dtype="float32")
    >>> noisy = layer(images, training=True)
    >>> tuple(noisy.shape)
    (2, 8, 8, 1)
    """

    def __init__(
        self,
        rate,
        salt_ratio=0.5,
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
        self.rate = validate_severity("rate", rate, 0.0, 1.0)
        self.salt_ratio = validate_number("salt_ratio", salt_ratio, 0.0, 1.0)

    def _corrupt_batch(self, images):
        dtype = images.dtype
        shape = ops.shape(images)
        # Probabilities are drawn in float32 whatever the compute dtype: a
        # float16 uniform draw is too coarse for small rates.
        rate = draw_per_sample(
            self.rate, shape[0], self.seed_generator, "float32"
        )
        # One draw per pixel, broadcast over the channel axis.
        if self.data_format == "channels_last":
            pixel_shape = (shape[0], shape[1], shape[2], 1)
        else:
            pixel_shape = (shape[0], 1, shape[2], shape[3])
        # One uniform draw decides both: the pixel is hit when u < rate, and
        # a hit pixel is salt when u < rate * salt_ratio, which has
        # probability salt_ratio given u < rate. Half the RNG work of two
        # independent draws, the same distribution.
        u = keras.random.uniform(
            pixel_shape, dtype="float32", seed=self.seed_generator
        )
        hit = ops.less(u, rate)
        salt = ops.less(u, rate * self.salt_ratio)
        low, high = self.value_range or (0.0, 1.0)
        # 0/1 masks per pixel, repeated over the channels, then
        # `images * keep + salt * high + pepper * low`: on every pixel one
        # term is the value and the others are exactly 0. A select over the
        # whole batch would be several times slower on CPU (TensorFlow's
        # select kernel is much slower than a multiply-add).
        keep = self._to_channels(ops.cast(ops.logical_not(hit), dtype), shape)
        salt_mask = self._to_channels(ops.cast(salt, dtype), shape)
        outputs = images * keep + salt_mask * ops.cast(high, dtype)
        if low != 0.0:
            pepper = ops.logical_and(hit, ops.logical_not(salt))
            pepper_mask = self._to_channels(ops.cast(pepper, dtype), shape)
            outputs = outputs + pepper_mask * ops.cast(low, dtype)
        return outputs

    def _to_channels(self, pixels, shape):
        """Repeats a per-pixel tensor over the channels (channels last).

        A broadcast over the innermost axis is slow on CPU; an outer product
        of the 0/1 mask with a row of ones (exact in any float precision) is
        several times faster.
        Channels first, or with one channel, broadcasting is cheap.
        """
        channels = shape[-1]
        if (
            self.data_format != "channels_last"
            or not isinstance(channels, int)
            or channels == 1
        ):
            return pixels
        ones = ops.ones((1, channels), dtype=pixels.dtype)
        rows = ops.matmul(ops.reshape(pixels, (-1, 1)), ones)
        return ops.reshape(rows, shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "salt_ratio": self.salt_ratio})
        return config
