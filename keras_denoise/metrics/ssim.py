"""Structural similarity: the `ssim` function and the `SSIM` metric."""

import numbers

import keras
import numpy as np
from keras import ops

from keras_denoise._validation import validate_data_format
from keras_denoise.metrics._common import ImageMean
from keras_denoise.metrics._common import prepare_pair
from keras_denoise.metrics._common import validate_max_val


def _validate_window(filter_size, filter_sigma, k1, k2):
    if (
        not isinstance(filter_size, numbers.Integral)
        or isinstance(filter_size, bool)
        or filter_size < 1
        or filter_size % 2 == 0
    ):
        raise ValueError(
            "`filter_size` must be an odd integer >= 1. "
            f"Received: filter_size={filter_size!r}"
        )
    for name, value in (("filter_sigma", filter_sigma), ("k1", k1), ("k2", k2)):
        if (
            not isinstance(value, numbers.Real)
            or isinstance(value, bool)
            or not 0 < value < float("inf")
        ):
            raise ValueError(
                f"`{name}` must be a finite number > 0. "
                f"Received: {name}={value!r}"
            )


def _gaussian_kernel(size, sigma, channels):
    coords = np.arange(size, dtype="float64") - (size - 1) / 2.0
    g = np.exp(-(coords**2) / (2.0 * sigma**2))
    g /= g.sum()
    kernel = np.outer(g, g).astype("float32")
    return np.tile(kernel[:, :, None, None], (1, 1, channels, 1))


def _fitted_window(filter_size, filter_sigma, height, width):
    """The window size and sigma used on images of `height` x `width`.

    Images smaller than the window get the largest odd window that fits,
    with its sigma scaled by the same factor so that the window keeps its
    shape; unknown sizes keep the full window.
    """
    sides = [side for side in (height, width) if side is not None]
    smallest = min(sides, default=filter_size)
    if smallest >= filter_size:
        return int(filter_size), float(filter_sigma)
    size = smallest if smallest % 2 else smallest - 1
    return size, float(filter_sigma) * size / filter_size


def ssim(
    y_true,
    y_pred,
    max_val=1.0,
    filter_size=11,
    filter_sigma=1.5,
    k1=0.01,
    k2=0.03,
    data_format=None,
):
    """Structural similarity index of each image.

    The local statistics are weighted by a `filter_size` x `filter_size`
    Gaussian window of standard deviation `filter_sigma`, evaluated where
    the window fits inside the image; the SSIM map is averaged over those
    positions and the channels. With the defaults this is
    `skimage.metrics.structural_similarity(..., gaussian_weights=True,
    sigma=1.5, use_sample_covariance=False, data_range=max_val,
    channel_axis=-1)`.

    Images smaller than the window (such as 8x8 digits) are scored with a
    smaller window: the largest odd size `w` that fits the smaller side,
    with standard deviation `filter_sigma * w / filter_size`, so that the
    window keeps its shape (with the defaults, an 8x8 image gets a 7x7
    window of sigma 0.95). This equals scikit-image with `win_size=w` and
    `sigma=1.5 * w / 11`; scikit-image itself raises for such images.

    Args:
        y_true: reference images, float, rank 4 (batch) or rank 3 (one
            image). Images smaller than `filter_size` get a smaller window
            (see above).
        y_pred: images to score, same shape as `y_true`.
        max_val: dynamic range of the images. Defaults to `1.0`.
        filter_size: odd size of the Gaussian window. Defaults to `11`.
        filter_sigma: standard deviation of the window. Defaults to `1.5`.
        k1: stabilising constant of the luminance term. Defaults to `0.01`.
        k2: stabilising constant of the contrast term. Defaults to `0.03`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.

    Returns:
        A float32 tensor `(batch,)`, or a scalar for rank-3 inputs; 1.0 for
        identical images.

    Raises:
        TypeError: if an input is not a floating-point tensor.
        ValueError: if the shapes differ, the rank is not 3 or 4, or an
            argument is out of range.

    Example:

    >>> import numpy as np
    >>> images = np.random.default_rng(0).uniform(size=(2, 16, 16, 1))
    >>> images = images.astype("float32")
    >>> [float(v) for v in keras_denoise.metrics.ssim(images, images)]
    [1.0, 1.0]
    """
    max_val = validate_max_val(max_val)
    _validate_window(filter_size, filter_sigma, k1, k2)
    data_format = validate_data_format(data_format)
    y_true, y_pred, single = prepare_pair(y_true, y_pred)
    if data_format == "channels_first":
        y_true = ops.transpose(y_true, (0, 2, 3, 1))
        y_pred = ops.transpose(y_pred, (0, 2, 3, 1))
    height, width, channels = tuple(y_true.shape)[1:]
    if channels is None:
        raise ValueError(
            "The number of channels of `y_true` must be known. "
            f"Received: y_true.shape={tuple(y_true.shape)}"
        )
    size, sigma = _fitted_window(filter_size, filter_sigma, height, width)
    kernel = ops.convert_to_tensor(_gaussian_kernel(size, sigma, channels))

    def local_mean(images):
        return ops.depthwise_conv(images, kernel, strides=1, padding="valid")

    mu_x = local_mean(y_true)
    mu_y = local_mean(y_pred)
    var_x = local_mean(y_true * y_true) - mu_x * mu_x
    var_y = local_mean(y_pred * y_pred) - mu_y * mu_y
    cov_xy = local_mean(y_true * y_pred) - mu_x * mu_y
    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    ssim_map = ((2.0 * mu_x * mu_y + c1) * (2.0 * cov_xy + c2)) / (
        (mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2)
    )
    value = ops.mean(ssim_map, axis=(1, 2, 3))
    return value[0] if single else value


@keras.saving.register_keras_serializable(package="keras_denoise")
class SSIM(ImageMean):
    """Mean structural similarity over all the images seen.

    See `keras_denoise.metrics.ssim` for the definition and the arguments.

    `update_state(y_true, y_pred, sample_weight=None)` takes one weight
    `>= 0` per image (or one for the batch); images of weight 0 are left
    out. The result is NaN while the total weight seen is 0 (before the
    first update, or after only zero weights): an empty mean, not a score.

    Args:
        max_val: dynamic range of the images. Defaults to `1.0`.
        filter_size: odd size of the Gaussian window. Defaults to `11`.
        filter_sigma: standard deviation of the window. Defaults to `1.5`.
        k1: luminance constant. Defaults to `0.01`.
        k2: contrast constant. Defaults to `0.03`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        name: name of the metric. Defaults to `"ssim"`.
        dtype: dtype of the result. Defaults to `None` (float32).

    Raises:
        ValueError: if an argument is out of range; from `update_state`,
            if `sample_weight` has a negative weight or a length other than
            1 or the batch size.

    Example:

    >>> model = keras.Sequential([keras.Input((16, 16, 1)),
    ...                           keras.layers.Conv2D(1, 3, padding="same")])
    >>> model.compile(optimizer="adam", loss="mse",
    ...               metrics=[keras_denoise.metrics.SSIM()])
    """

    def __init__(
        self,
        max_val=1.0,
        filter_size=11,
        filter_sigma=1.5,
        k1=0.01,
        k2=0.03,
        data_format=None,
        name="ssim",
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        self.max_val = validate_max_val(max_val)
        _validate_window(filter_size, filter_sigma, k1, k2)
        self.filter_size = int(filter_size)
        self.filter_sigma = float(filter_sigma)
        self.k1 = float(k1)
        self.k2 = float(k2)
        self.data_format = validate_data_format(data_format)

    def per_image(self, y_true, y_pred):
        """SSIM of each image of the batch, shape `(batch,)`."""
        return ssim(
            y_true,
            y_pred,
            max_val=self.max_val,
            filter_size=self.filter_size,
            filter_sigma=self.filter_sigma,
            k1=self.k1,
            k2=self.k2,
            data_format=self.data_format,
        )

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "max_val": self.max_val,
            "filter_size": self.filter_size,
            "filter_sigma": self.filter_sigma,
            "k1": self.k1,
            "k2": self.k2,
            "data_format": self.data_format,
        }
