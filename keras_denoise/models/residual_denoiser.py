"""The `residual_denoiser` builder (DnCNN)."""

import keras

from keras_denoise.models import _validation as v


def residual_denoiser(
    channels=1,
    depth=17,
    filters=64,
    kernel_size=3,
    batch_norm=True,
    corruption=None,
    name="residual_denoiser",
):
    """Builds a DnCNN-style residual denoiser.

    The network predicts the noise and subtracts it from its input (residual
    learning, Zhang et al. 2017, "Beyond a Gaussian Denoiser"): a
    convolution with ReLU, `depth - 2` blocks of convolution, batch
    normalization and ReLU, and a last convolution to `channels` give the
    noise estimate; the output is `input - noise`. The model is fully
    convolutional with "same" padding, so it denoises images of any height
    and width, and has no `"encoder"`/`"decoder"` sub-models.

    Args:
        channels: number of image channels (1 for gray, 3 for RGB).
            Defaults to `1`.
        depth: number of convolution layers, at least 2. Defaults to `17`.
        filters: filters of the hidden convolutions. Defaults to `64`.
        kernel_size: size of the square kernels. Defaults to `3`.
        batch_norm: whether the hidden blocks use batch normalization.
            Defaults to `True`.
        corruption: optional corruption layer applied to the input inside
            the model; active only while training, so `fit(x, x)` learns to
            remove it. The noise is then subtracted from the corrupted
            input. Defaults to `None`.
        name: name of the model. Defaults to `"residual_denoiser"`.

    Returns:
        An uncompiled functional `keras.Model` with input shape
        `(None, None, channels)` and an output of the input's shape.

    Raises:
        ValueError: for a non-positive `channels`, `filters` or
            `kernel_size`, or `depth < 2`.
        TypeError: if `batch_norm` is not a boolean or `corruption` is not a
            Keras layer.

    Example:

    >>> import numpy as np
    >>> model = keras_denoise.models.residual_denoiser(depth=5, filters=16)
    >>> model.compile(optimizer="adam", loss="mse")
    >>> model.predict(np.zeros((1, 37, 50, 1)), verbose=0).shape
    (1, 37, 50, 1)
    """
    channels = v.validate_positive_int("channels", channels)
    depth = v.validate_positive_int("depth", depth)
    if depth < 2:
        raise ValueError(f"`depth` must be at least 2. Received: depth={depth}")
    filters = v.validate_positive_int("filters", filters)
    kernel_size = v.validate_positive_int("kernel_size", kernel_size)
    if not isinstance(batch_norm, bool):
        raise TypeError(
            "`batch_norm` must be a boolean. "
            f"Received: batch_norm={batch_norm!r}"
        )
    v.validate_layer("corruption", corruption)
    v.validate_name(name)

    inputs = keras.Input((None, None, channels), name="input")
    noisy = v.apply_corruption(inputs, corruption)
    x = keras.layers.Conv2D(
        filters, kernel_size, padding="same", activation="relu", name="conv_0"
    )(noisy)
    for i in range(1, depth - 1):
        x = keras.layers.Conv2D(
            filters,
            kernel_size,
            padding="same",
            use_bias=not batch_norm,
            name=f"conv_{i}",
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
        x = keras.layers.ReLU(name=f"relu_{i}")(x)
    noise = keras.layers.Conv2D(
        channels, kernel_size, padding="same", name="noise"
    )(x)
    outputs = keras.layers.Subtract(name="denoised")([noisy, noise])
    return keras.Model(inputs, outputs, name=name)
