"""The `GaussianBlur` layer."""

import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_denoise._validation import validate_severity
from keras_denoise.layers._random import draw_per_sample
from keras_denoise.layers.base_corruption import BaseCorruption


@keras.saving.register_keras_serializable(package="keras_denoise")
class GaussianBlur(BaseCorruption):
    """Separable Gaussian blur with a fixed or per-sample `sigma`.

    Each channel is convolved with a normalised Gaussian kernel along the
    height and then the width axis; borders are handled by reflection
    (`numpy.pad(..., mode="reflect")`, `scipy.ndimage`'s `"mirror"`), so a
    constant image is unchanged and blurring a mirrored image gives the
    mirrored blur. `sigma=0` is the identity. With a `(min, max)` range for
    `sigma`, each sample of the batch is blurred with its own kernel, all of
    size `kernel_size`. Active only when `training=True`; the identity
    otherwise.

    Args:
        sigma: standard deviation of the Gaussian in pixels, >= 0, or a
            `(min, max)` range drawn per sample.
        kernel_size: odd positive kernel size, or `None` for
            `2 * ceil(3 * max_sigma) + 1` (the kernel covers +-3 sigma).
            Defaults to `None`.
        value_range: `(min, max)` to clip the result to, or `None`.
            Defaults to `(0.0, 1.0)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        seed: integer seed for the per-sample sigma. Defaults to `None`.
        **kwargs: base layer arguments such as `name` and `dtype`.

    Call arguments:
        inputs: float image (rank 3) or batch of images (rank 4).
        training: Python boolean; blur only when `True`.

    Input shape:
        `(height, width, channels)` or `(batch, height, width, channels)`,
        channels first with `data_format="channels_first"`.

    Output shape:
        Same as the input.

    Raises:
        ValueError: if `sigma` is negative, its range has min > max, or
            `kernel_size` is not an odd positive integer.
        TypeError: if `sigma` is not a number or a pair of numbers,
            `kernel_size` is not an integer, or the input is not a float
            tensor.

    Example:

    >>> import numpy as np
    >>> layer = keras_denoise.layers.GaussianBlur(sigma=(0.5, 1.5), seed=1)
    >>> images = np.random.rand(2, 16, 16, 3).astype("float32")
    >>> blurred = layer(images, training=True)
    >>> tuple(blurred.shape)
    (2, 16, 16, 3)
    """

    def __init__(
        self,
        sigma,
        kernel_size=None,
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
        self.sigma = validate_severity("sigma", sigma, min_value=0.0)
        if kernel_size is not None:
            if not isinstance(kernel_size, numbers.Integral) or isinstance(
                kernel_size, bool
            ):
                raise TypeError(
                    "`kernel_size` must be None or an odd positive integer. "
                    f"Received: kernel_size={kernel_size!r}"
                )
            if kernel_size < 1 or kernel_size % 2 == 0:
                raise ValueError(
                    "`kernel_size` must be None or an odd positive integer. "
                    f"Received: kernel_size={kernel_size!r}"
                )
            kernel_size = int(kernel_size)
        self.kernel_size = kernel_size

    @property
    def radius(self):
        """Half-width of the kernel: `kernel_size = 2 * radius + 1`."""
        if self.kernel_size is not None:
            return (self.kernel_size - 1) // 2
        max_sigma = (
            self.sigma[1] if isinstance(self.sigma, tuple) else self.sigma
        )
        return int(math.ceil(3.0 * max_sigma))

    def _tap_weights(self, sigma, dtype):
        """Normalised kernel weights, one per offset -radius..radius."""
        offsets = np.arange(-self.radius, self.radius + 1, dtype="float64")
        if not isinstance(sigma, float):
            # Per-sample sigma of shape (batch, 1, 1, 1): one weight tensor
            # per offset. A tiny floor makes sigma=0 a unit impulse.
            sigma = ops.maximum(sigma, 1e-6)
            taps = [
                ops.exp(-float(d * d) / (2.0 * sigma * sigma)) for d in offsets
            ]
            total = taps[0]
            for tap in taps[1:]:
                total = total + tap
            return [ops.cast(tap / total, dtype) for tap in taps]
        if sigma == 0.0:
            weights = (offsets == 0).astype("float64")
        else:
            weights = np.exp(-(offsets**2) / (2.0 * sigma * sigma))
        return [float(w) for w in weights / weights.sum()]

    def _blur_along(self, images, weights, axis):
        size = images.shape[axis]
        radius = self.radius
        if size == 0:
            # Nothing to blur: an empty image stays empty.
            return images
        if size is not None:
            # Reflection indices computed in NumPy: valid for any image
            # size, even one smaller than the kernel.
            index = np.pad(np.arange(size), radius, mode="reflect")
            padded = ops.take(images, index.astype("int32"), axis=axis)
        else:
            size = ops.shape(images)[axis]
            pad_width = [[0, 0]] * 4
            pad_width[axis] = [radius, radius]
            padded = ops.pad(images, pad_width, mode="reflect")
        blurred = None
        for start, weight in enumerate(weights):
            window = [slice(None)] * 4
            window[axis] = slice(start, start + size)
            term = padded[tuple(window)] * weight
            blurred = term if blurred is None else blurred + term
        return blurred

    def corrupt_batch(self, images):
        if self.radius == 0:
            return images
        sigma = draw_per_sample(
            self.sigma, ops.shape(images)[0], self.seed_generator, "float32"
        )
        weights = self._tap_weights(sigma, images.dtype)
        if self.data_format == "channels_last":
            height_axis, width_axis = 1, 2
        else:
            height_axis, width_axis = 2, 3
        blurred = self._blur_along(images, weights, height_axis)
        return self._blur_along(blurred, weights, width_axis)

    def get_config(self):
        config = super().get_config()
        config.update({"sigma": self.sigma, "kernel_size": self.kernel_size})
        return config
