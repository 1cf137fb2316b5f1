"""`Neighbor2Neighbor`: trains a denoiser from noisy images by sub-sampling."""

import numbers

import keras
from keras import ops

from keras_denoise.models import _self_supervised as ss


@keras.saving.register_keras_serializable(package="keras_denoise")
class Neighbor2Neighbor(ss.SelfSupervisedModel):
    """Trains any image-to-image denoiser from noisy images alone.

    Neighbor2Neighbor (Huang et al. 2021, "Neighbor2Neighbor: Self-Supervised
    Denoising from Single Noisy Images") splits each noisy image `y` into
    cells of 2 x 2 pixels and, in every cell, picks one pixel at random and
    one of its two horizontal or vertical neighbours in the cell. The first
    picks form a half-size image `g1(y)`, the second picks `g2(y)`: two
    noisy views of nearly the same scene with independent noise, a
    Noise2Noise pair made from one image. The loss is

    `mean((f(g1(y)) - g2(y))**2)
    + gamma * mean((f(g1(y)) - g2(y) - (g1(f(y)) - g2(f(y))))**2)`,

    where `f` is the denoiser and `f(y)` is computed without gradient; the
    second term corrects for the small offset between the two views. Odd
    heights and widths lose their last row or column in the loss.

    The wrapper is a `keras.Model`: compile it without a loss and call
    `fit(noisy_images)` without targets (arrays or a `tf.data.Dataset` of
    noisy batches). Calling the wrapper, `predict` and
    `keras_denoise.callbacks.ImageGrid` run the plain denoiser;
    `wrapper.denoiser` is the trained model to save or use on its own. The
    noise must be independent from pixel to pixel and have zero mean.

    Args:
        denoiser: the `keras.Model` to train, image in, image out of the
            same shape (for example
            `keras_denoise.models.residual_denoiser()`).
        gamma: weight of the regularizer, `>= 0`. The paper uses `2` (its
            code ramps the weight linearly from `0` to `2` over the
            epochs). Defaults to `2.0`.
        data_format: `"channels_last"` or `"channels_first"`, the layout
            of the denoiser's images. Defaults to
            `keras.config.image_data_format()`.
        seed: integer seed of the sub-sampling, or `None`. Defaults to
            `None`.
        **kwargs: `keras.Model` arguments such as `name`.

    Call arguments:
        inputs: a batch of noisy images.
        training: passed to the denoiser.

    Returns:
        Calling the wrapper returns the denoiser's output.

    Raises:
        TypeError: if `denoiser` is not a `keras.Model` or `gamma` is not a
            number.
        ValueError: for a negative `gamma`, a `loss` given to `compile` or
            targets given to `fit`.

    Example:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> noisy = rng.random((8, 16, 16, 1)).astype("float32")
    >>> denoiser = keras_denoise.models.residual_denoiser(depth=3, filters=8)
    >>> wrapper = keras_denoise.models.Neighbor2Neighbor(denoiser, seed=0)
    >>> wrapper.compile(optimizer="adam")
    >>> history = wrapper.fit(noisy, epochs=1, batch_size=4, verbose=0)
    >>> wrapper.denoiser.predict(noisy, verbose=0).shape
    (8, 16, 16, 1)
    """

    def __init__(
        self, denoiser, gamma=2.0, data_format=None, seed=None, **kwargs
    ):
        if not isinstance(gamma, numbers.Real) or isinstance(gamma, bool):
            raise TypeError(
                f"`gamma` must be a number. Received: gamma={gamma!r}"
            )
        if not 0.0 <= gamma < float("inf"):
            raise ValueError(
                "`gamma` must be a finite number >= 0. "
                f"Received: gamma={gamma!r}"
            )
        super().__init__(denoiser, data_format=data_format, seed=seed, **kwargs)
        self.gamma = float(gamma)

    def sample_indices(self, images):
        """Draws the two neighbouring picks of every 2 x 2 cell.

        Args:
            images: a float batch of images, in the wrapper's `data_format`.

        Returns:
            A pair `(first, second)` of int32 tensors of shape
            `(batch, height // 2, width // 2)`: the position in each cell of
            the pixel of `g1` and of `g2`, numbered `2 * row + column`
            (`0` top left, `1` top right, `2` bottom left, `3` bottom
            right). The two positions of a cell always differ in exactly
            one of row and column.
        """
        images = ops.convert_to_tensor(images)
        ss.check_batch(images)
        return self._sample_indices(self._to_channels_last(images))

    def subsample(self, images, indices):
        """The half-size images `g1(images)` and `g2(images)`.

        Args:
            images: a float batch of images, in the wrapper's `data_format`.
            indices: the pair returned by `sample_indices`.

        Returns:
            A pair `(g1, g2)` of images of half the height and width
            (rounded down), in the wrapper's `data_format`.
        """
        images = ops.convert_to_tensor(images)
        ss.check_batch(images)
        first, second = _subsample(self._to_channels_last(images), indices)
        return self._from_channels_last(first), self._from_channels_last(second)

    def self_supervised_loss(self, images, training=False):
        indices = self._sample_indices(images)
        noisy_first, noisy_second = _subsample(images, indices)
        output = self._denoise(noisy_first, training=training)
        full = ops.stop_gradient(self._denoise(images, training=training))
        full_first, full_second = _subsample(full, indices)
        residual = output - noisy_second
        reconstruction = ops.mean(ops.square(residual))
        regularizer = ops.mean(
            ops.square(residual - (full_first - full_second))
        )
        return reconstruction + ops.cast(self.gamma, images.dtype) * regularizer

    def _sample_indices(self, images):
        shape = ops.shape(images)
        cells = (shape[0], shape[1] // 2, shape[2] // 2)
        first = keras.random.randint(
            cells, 0, 4, dtype="int32", seed=self.seed_generator
        )
        flip_row = keras.random.randint(
            cells, 0, 2, dtype="int32", seed=self.seed_generator
        )
        row, column = first // 2, first % 2
        # The neighbour shares the row (other column) or the column (other
        # row): never the pixel itself, never the diagonal one.
        second = ops.where(
            flip_row > 0, 2 * (1 - row) + column, 2 * row + (1 - column)
        )
        return first, second

    def get_config(self):
        config = super().get_config()
        config["gamma"] = self.gamma
        return config


def _subsample(images, indices):
    """`(g1, g2)` of channels-last images for the given cell positions."""
    shape = ops.shape(images)
    height, width = shape[1] // 2, shape[2] // 2
    images = images[:, : 2 * height, : 2 * width, :]
    channels = shape[3]
    cells = ops.reshape(images, (-1, height, 2, width, 2, channels))
    cells = ops.transpose(cells, (0, 1, 3, 5, 2, 4))
    cells = ops.reshape(cells, (-1, height, width, channels, 4))
    picked = []
    for index in indices:
        # A one-hot product selects exactly: the other terms are zeros.
        one_hot = ops.one_hot(index, 4, dtype=images.dtype)
        picked.append(ops.sum(cells * one_hot[:, :, :, None, :], axis=-1))
    return tuple(picked)
