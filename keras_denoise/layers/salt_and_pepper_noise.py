"""The `SaltAndPepperNoise` layer."""

import keras
import numpy as np
from keras import ops

from keras_denoise._validation import validate_number
from keras_denoise._validation import validate_severity
from keras_denoise.layers._random import draw_per_sample
from keras_denoise.layers._random import repeat_over_channels
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

    def corrupt_batch(self, images):
        if self.value_range is None:
            return self._masked_impulses(images)
        return images + self.additive_noise(images)

    def additive_noise(self, images, weight=None, draws=None):
        """The `delta` such that the output is `clip(images + delta)`.

        `delta` is `+big` on salt pixels, `-big` on pepper pixels and 0
        elsewhere, with `big` the largest finite value of the dtype: the
        clip to `value_range` that every corruption ends with then sets
        salt to the maximum and pepper to the minimum, and clips the other
        pixels as usual. The impulses cost one add over the batch, not a
        select or masks (TensorFlow's CPU select kernel is several times
        slower than an add, and the clip is paid anyway). `big` is finite
        so that a 0/1 `weight` of shape `(batch, 1, 1, 1)`, which
        `RandomCorruption` uses to keep the impulses on the samples it
        chose for this layer, zeroes the others exactly. Only for a
        `value_range` (`None` without one, the output then not being of
        this form); `draws` is unused (no other layer shares this draw).
        """
        del draws
        if self.value_range is None:
            return None
        dtype = keras.backend.standardize_dtype(images.dtype)
        salt, hit = self._draw_pixels(images)
        big = float(np.finfo(dtype).max)
        scale = big if weight is None else weight * big
        # 2 * salt - hit is 1 on salt, -1 on pepper and 0 elsewhere.
        salt = ops.cast(salt, dtype)
        signs = (salt + salt) - ops.cast(hit, dtype)
        return repeat_over_channels(
            signs * scale, ops.shape(images), self.data_format
        )

    def _draw_pixels(self, images):
        """Per-pixel boolean `salt` and `hit` tensors, one channel."""
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
        # `u` has a single consumer: XLA on CPU fuses a random tensor into
        # its consumer when it has one, and materialises it, far more
        # slowly, when two operations read it (figures in
        # docs/benchmarks.md, "Figures behind the code's choices").
        if isinstance(rate, float):
            # Bucket 0: u < rate * salt_ratio (salt), 1: pepper, 2: clean.
            bucket = ops.digitize(u, [rate * self.salt_ratio, rate])
            return ops.equal(bucket, 0), ops.less(bucket, 2)
        # With a rate per sample, u / rate is compared with constants
        # (u < rate exactly when u / rate < 1, the division being
        # correctly rounded). A rate of 0 gives inf or nan, never a hit.
        scaled = u / rate
        return ops.less(scaled, self.salt_ratio), ops.less(scaled, 1.0)

    def _masked_impulses(self, images):
        """Salt 1 and pepper 0 without clipping (`value_range=None`)."""
        dtype = images.dtype
        shape = ops.shape(images)
        salt, hit = self._draw_pixels(images)
        # 0/1 masks: `images * keep + salt`; on every pixel one term is the
        # value and the other is exactly 0.
        keep = repeat_over_channels(
            ops.cast(ops.logical_not(hit), dtype), shape, self.data_format
        )
        salt = repeat_over_channels(
            ops.cast(salt, dtype), shape, self.data_format
        )
        return images * keep + salt

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "salt_ratio": self.salt_ratio})
        return config
