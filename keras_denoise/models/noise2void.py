"""`Noise2Void`: trains a denoiser from noisy images with blind spots."""

import math
import numbers

import keras
from keras import ops

from keras_denoise.models import _self_supervised as ss

_REPLACEMENTS = ("median", "mean")


@keras.saving.register_keras_serializable(package="keras_denoise")
class Noise2Void(ss.SelfSupervisedModel):
    """Trains any image-to-image denoiser from noisy images alone.

    Noise2Void (Krull et al. 2019, "Noise2Void - Learning Denoising from
    Single Noisy Images") hides a random fraction of the pixels of each
    training image from the denoiser and asks it to predict their noisy
    values from their surroundings. Pixel noise that is independent from
    pixel to pixel cannot be predicted from the neighbours, so the best
    prediction is the clean value: the denoiser learns to denoise without
    ever seeing a clean image.

    Each hidden ("masked") pixel is replaced by the median (or mean) of its
    `neighborhood_size` x `neighborhood_size` neighbourhood without the
    pixel itself, the N2V2 replacement (Höck et al. 2022, "N2V2 - Fixing
    Noise2Void Checkerboard Artifacts with Modified Sampling Strategies and a
    Tweaked Network Architecture"), so a masked pixel never sees its own
    value and no replacement copies one noisy neighbour, which causes
    checkerboard artefacts. At the borders a missing neighbour is taken from
    the mirror position across the pixel. The mask covers every channel of
    a pixel. The loss is the mean squared error between the denoiser's
    output and the noisy input over the masked pixels only.

    The wrapper is a `keras.Model`: compile it without a loss and call
    `fit(noisy_images)` without targets (arrays or a `tf.data.Dataset` of
    noisy batches). Calling the wrapper, `predict` and
    `keras_denoise.callbacks.ImageGrid` run the plain denoiser;
    `wrapper.denoiser` is the trained model to save or use on its own. The
    noise must be independent from pixel to pixel (no demosaicing or JPEG
    artefacts) and have zero mean.

    The denoiser must compute its output, not add a correction to its
    input: a network with an identity skip from input to output, such as
    `residual_denoiser`, starts by copying each masked pixel's replacement,
    which is already a fair estimate, learns to keep copying it, and at
    inference copies the noisy pixel instead. Take the convolutions of a
    `residual_denoiser` without the skip, as in the example, or an
    autoencoder.

    Args:
        denoiser: the `keras.Model` to train, image in, image out of the
            same shape (for example
            `keras_denoise.models.residual_denoiser()`).
        mask_fraction: the fraction of pixels masked, in `(0, 1]`. As in
            the original implementation the mask is stratified: one random
            pixel in each box of about `1 / mask_fraction` pixels
            (`mask_box`, 3 x 3 for `0.1`), so the masked pixels are spread
            over the image. More masked pixels give more loss terms per
            step; the default was the best of 0.02 / 0.05 / 0.1 / 0.2 at
            equal steps (`docs/benchmarks.md`, section 8); the original
            Noise2Void masks 0.2 %. Defaults to `0.1` (3 x 3 boxes).
        neighborhood_size: odd side of the square neighbourhood whose median
            or mean replaces a masked pixel, at least 3. Defaults to `5`.
        replacement: `"median"` (N2V2's choice) or `"mean"`. Defaults to
            `"median"`.
        data_format: `"channels_last"` or `"channels_first"`, the layout
            of the denoiser's images. Defaults to
            `keras.config.image_data_format()`.
        seed: integer seed of the masks, or `None`. Defaults to `None`.
        **kwargs: `keras.Model` arguments such as `name`.

    Call arguments:
        inputs: a batch of noisy images.
        training: passed to the denoiser.

    Returns:
        Calling the wrapper returns the denoiser's output.

    Raises:
        TypeError: if `denoiser` is not a `keras.Model`.
        ValueError: for an argument out of range, a `loss` given to
            `compile` or targets given to `fit`.

    Example:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> noisy = rng.random((8, 16, 16, 1)).astype("float32")
    >>> dncnn = keras_denoise.models.residual_denoiser(depth=3, filters=8)
    >>> denoiser = keras.Model(dncnn.input, dncnn.get_layer("noise").output)
    >>> wrapper = keras_denoise.models.Noise2Void(denoiser, seed=0)
    >>> wrapper.compile(optimizer="adam")
    >>> history = wrapper.fit(noisy, epochs=1, batch_size=4, verbose=0)
    >>> wrapper.denoiser.predict(noisy, verbose=0).shape
    (8, 16, 16, 1)
    """

    def __init__(
        self,
        denoiser,
        mask_fraction=0.1,
        neighborhood_size=5,
        replacement="median",
        data_format=None,
        seed=None,
        **kwargs,
    ):
        if (
            not isinstance(mask_fraction, numbers.Real)
            or isinstance(mask_fraction, bool)
            or not 0.0 < mask_fraction <= 1.0
        ):
            raise ValueError(
                "`mask_fraction` must be a number in (0, 1]. "
                f"Received: mask_fraction={mask_fraction!r}"
            )
        if (
            not isinstance(neighborhood_size, numbers.Integral)
            or isinstance(neighborhood_size, bool)
            or neighborhood_size < 3
            or neighborhood_size % 2 == 0
        ):
            raise ValueError(
                "`neighborhood_size` must be an odd integer >= 3. "
                f"Received: neighborhood_size={neighborhood_size!r}"
            )
        if replacement not in _REPLACEMENTS:
            raise ValueError(
                "`replacement` must be 'median' or 'mean'. "
                f"Received: replacement={replacement!r}"
            )
        super().__init__(denoiser, data_format=data_format, seed=seed, **kwargs)
        self.mask_fraction = float(mask_fraction)
        self.neighborhood_size = int(neighborhood_size)
        self.replacement = replacement

    def mask_pixels(self, images):
        """Masks a random fraction of the pixels of a batch.

        Args:
            images: a float batch of noisy images, in the wrapper's
                `data_format`.

        Returns:
            A pair `(masked, mask)`: the images with the masked pixels
            replaced by their neighbourhood's median or mean, and a float
            mask of `1.0` at masked pixels and `0.0` elsewhere, of shape
            `(batch, height, width, 1)` (`(batch, 1, height, width)` for
            channels-first).
        """
        images = ops.convert_to_tensor(images)
        ss.check_batch(images)
        masked, mask = self._mask_pixels(self._to_channels_last(images))
        return self._from_channels_last(masked), self._from_channels_last(mask)

    def masked_loss(self, images, predictions, mask):
        """Mean squared error over the masked pixels only.

        Args:
            images: the noisy images (the targets).
            predictions: the denoiser's output for the masked images.
            mask: the mask returned by `mask_pixels`.

        Returns:
            A scalar: the sum of the squared errors at masked pixels over
            all channels, divided by the number of masked values (`0` when
            no pixel is masked).
        """
        images = self._to_channels_last(ops.convert_to_tensor(images))
        predictions = self._to_channels_last(ops.convert_to_tensor(predictions))
        mask = self._to_channels_last(ops.convert_to_tensor(mask))
        return _masked_mean_squared_error(images, predictions, mask)

    def self_supervised_loss(self, images, training=False):
        masked, mask = self._mask_pixels(images)
        predictions = self._denoise(masked, training=training)
        return _masked_mean_squared_error(images, predictions, mask)

    @property
    def mask_box(self):
        """`(rows, columns)` of the boxes that hold one masked pixel each.

        The box has about `1 / mask_fraction` pixels: `rows` is
        `round(1 / sqrt(mask_fraction))` and `columns` is
        `round(1 / (mask_fraction * rows))`, both at least 1, so the
        fraction of pixels masked is `1 / (rows * columns)` (for
        `mask_fraction=0.1`, boxes of 3 x 3 and 11.1 %; for `0.02`, 7 x 7
        and 2.04 %; a partial box at the bottom or right border also holds
        one).
        """
        rows = max(1, round(1.0 / math.sqrt(self.mask_fraction)))
        columns = max(1, round(1.0 / (self.mask_fraction * rows)))
        return rows, columns

    def _mask_pixels(self, images):
        """`mask_pixels` on channels-last images.

        Stratified sampling as in the original Noise2Void implementation:
        one random pixel in each `mask_box` box, so the masked pixels are
        spread over the image and their number is fixed. The replacement is
        computed at the masked pixels only (gathered neighbourhoods), then
        spread back to full size by repeating each box's value.
        """
        box_rows, box_cols = self.mask_box
        shape = ops.shape(images)
        batch, height, width = shape[0], shape[1], shape[2]
        n_rows = (height + box_rows - 1) // box_rows
        n_cols = (width + box_cols - 1) // box_cols
        draws = keras.random.uniform(
            (batch, n_rows, n_cols, 2), seed=self.seed_generator
        )
        row_start = ops.arange(n_rows) * box_rows
        col_start = ops.arange(n_cols) * box_cols
        # A partial box at the border draws within its own extent.
        row_extent = ops.minimum(box_rows, height - row_start)
        col_extent = ops.minimum(box_cols, width - col_start)

        def offset(draw, extent):
            return ops.cast(
                ops.floor(draw * ops.cast(extent, draw.dtype)), "int32"
            )

        row_offset = offset(draws[..., 0], row_extent[None, :, None])
        col_offset = offset(draws[..., 1], col_extent[None, None, :])
        rows = ops.cast(row_start, "int32")[None, :, None] + row_offset
        cols = ops.cast(col_start, "int32")[None, None, :] + col_offset

        neighbours = _gathered_neighbours(
            images, rows, cols, self.neighborhood_size // 2
        )
        if self.replacement == "median":
            replacement = ops.median(neighbours, axis=-1)
        else:
            replacement = ops.mean(neighbours, axis=-1)

        def full_size(values):
            values = ops.repeat(values, box_rows, axis=1)
            values = ops.repeat(values, box_cols, axis=2)
            return values[:, :height, :width]

        in_box_row = ops.cast(ops.arange(height) % box_rows, "int32")
        in_box_col = ops.cast(ops.arange(width) % box_cols, "int32")
        mask = ops.logical_and(
            ops.equal(full_size(row_offset), in_box_row[None, :, None]),
            ops.equal(full_size(col_offset), in_box_col[None, None, :]),
        )[..., None]
        masked = ops.where(mask, full_size(replacement), images)
        return masked, ops.cast(mask, images.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "mask_fraction": self.mask_fraction,
                "neighborhood_size": self.neighborhood_size,
                "replacement": self.replacement,
            }
        )
        return config


def _masked_mean_squared_error(images, predictions, mask):
    """Squared error summed over masked channels-last pixels, per value."""
    mask = ops.cast(mask, images.dtype)
    total = ops.sum(ops.square(predictions - images) * mask)
    count = ops.sum(mask) * ops.cast(ops.shape(images)[-1], images.dtype)
    return total / ops.maximum(count, ops.cast(1.0, images.dtype))


def _gathered_neighbours(images, rows, cols, radius):
    """The values around pixels `(rows, cols)`, without them.

    `images` is `(batch, height, width, channels)`; `rows` and `cols` are
    integer `(batch, n, m)` positions. Returns `(batch, n, m, channels,
    (2 * radius + 1) ** 2 - 1)`. A neighbour outside the image is taken
    from the mirror position across the pixel, so a pixel never gets its
    own value.
    """
    shape = ops.shape(images)
    batch, height, width = shape[0], shape[1], shape[2]
    flat = ops.reshape(images, (-1, shape[3]))
    base = ops.cast(ops.arange(batch), "int32")[:, None, None] * (
        height * width
    )

    def inside(index, offset, size):
        moved = index + offset
        outside = ops.logical_or(moved < 0, moved >= size)
        return ops.where(outside, index - offset, moved)

    views = []
    for dy in range(-radius, radius + 1):
        row = inside(rows, dy, height)
        for dx in range(-radius, radius + 1):
            if (dy, dx) == (0, 0):
                continue
            col = inside(cols, dx, width)
            views.append(ops.take(flat, base + row * width + col, axis=0))
    return ops.stack(views, axis=-1)
