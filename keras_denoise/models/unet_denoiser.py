"""The `unet_denoiser` builder (a DRUNet-style residual U-Net)."""

import keras
from keras import ops

from keras_denoise.models import _validation as v


@keras.saving.register_keras_serializable(package="keras_denoise")
class CropToMatch(keras.layers.Layer):
    """Crops a feature map to the height and width of a reference one.

    A stride-2 convolution of an odd size rounds up, so the transposed
    convolution that undoes it can be one row or column larger than the
    skip connection it meets; this layer cuts the extra row or column so
    that the U-Net takes images of any height and width.

    Call arguments:
        inputs: a list `[x, reference]` of channels-last feature maps, `x`
            at least as large as `reference`.

    Output shape:
        `x`'s batch and channels with `reference`'s height and width.
    """

    def call(self, inputs):
        x, reference = inputs
        shape = ops.shape(reference)
        return x[:, : shape[1], : shape[2], :]

    def compute_output_shape(self, input_shape):
        x_shape, reference_shape = input_shape
        return (x_shape[0], reference_shape[1], reference_shape[2], x_shape[3])


def _residual_block(x, filters, kernel_size, name):
    """conv-ReLU-conv with an identity shortcut (no normalization)."""
    y = keras.layers.Conv2D(
        filters,
        kernel_size,
        padding="same",
        activation="relu",
        name=f"{name}_conv_a",
    )(x)
    y = keras.layers.Conv2D(
        filters, kernel_size, padding="same", name=f"{name}_conv_b"
    )(y)
    return keras.layers.Add(name=f"{name}_add")([x, y])


def unet_denoiser(
    channels=1,
    filters=(32, 64, 128, 256),
    blocks=1,
    kernel_size=3,
    noise_level_input=False,
    corruption=None,
    name="unet_denoiser",
):
    """Builds a multi-scale residual U-Net denoiser in the manner of DRUNet.

    The encoder runs `blocks` residual blocks (convolution, ReLU,
    convolution, identity shortcut; no batch normalization) at each scale
    and halves the resolution with a 2x2 stride-2 convolution; the
    decoder mirrors it with 2x2 stride-2 transposed convolutions and adds
    the encoder's feature map of the same scale (Zhang et al. 2021,
    "Plug-and-Play Image Restoration with Deep Denoiser Prior"). The
    network predicts the noise, which is subtracted from the input
    (residual learning, as in `residual_denoiser`). Each scale works on a
    quarter of the pixels of the one above, so the receptive field grows
    quickly at a small cost per pixel.

    With `noise_level_input=True` the model takes a second input, a noise
    level map of one channel (the noise standard deviation per pixel on
    the image's scale), concatenated to the image as in FFDNet (Zhang et
    al. 2018), so that a user can set the strength of the denoising.

    The model is fully convolutional: it takes images of any height and
    width (odd sizes included).

    Args:
        channels: number of image channels (1 for gray, 3 for RGB).
            Defaults to `1`.
        filters: filters per scale, from the full resolution down; its
            length is the number of scales. Defaults to
            `(32, 64, 128, 256)`.
        blocks: residual blocks per scale in the encoder and in the
            decoder (the lowest scale has `blocks` in all). Defaults to `1`.
        kernel_size: size of the square kernels of the residual blocks.
            Defaults to `3`.
        noise_level_input: whether the model takes a noise level map as a
            second input. Defaults to `False`.
        corruption: optional corruption layer applied to the image inside
            the model; active only while training, so `fit(x, x)` learns to
            remove it. Only without `noise_level_input`. Defaults to
            `None`.
        name: name of the model. Defaults to `"unet_denoiser"`.

    Returns:
        An uncompiled functional `keras.Model`. Its input is named
        `"input"` with shape `(None, None, channels)` (and a second input
        `"noise_level"` of shape `(None, None, 1)` with
        `noise_level_input=True`); its output, named `"denoised"`, has the
        image's shape.

    Raises:
        ValueError: for a non-positive `channels`, `blocks` or
            `kernel_size`, an empty or non-positive `filters`, or a
            `corruption` together with `noise_level_input=True`.
        TypeError: if `noise_level_input` is not a boolean or `corruption`
            is not a Keras layer.

    Example:

    >>> import numpy as np
    >>> model = keras_denoise.models.unet_denoiser(filters=(8, 16, 32))
    >>> model.predict(np.zeros((1, 37, 50, 1)), verbose=0).shape
    (1, 37, 50, 1)
    >>> flexible = keras_denoise.models.unet_denoiser(
    ...     filters=(8, 16), noise_level_input=True
    ... )
    >>> images = np.zeros((1, 20, 20, 1))
    >>> level = np.full((1, 20, 20, 1), 25 / 255)
    >>> flexible.predict([images, level], verbose=0).shape
    (1, 20, 20, 1)
    """
    channels = v.validate_positive_int("channels", channels)
    filters = v.validate_int_sequence("filters", filters)
    blocks = v.validate_positive_int("blocks", blocks)
    kernel_size = v.validate_positive_int("kernel_size", kernel_size)
    if not isinstance(noise_level_input, bool):
        raise TypeError(
            "`noise_level_input` must be a boolean. "
            f"Received: noise_level_input={noise_level_input!r}"
        )
    v.validate_layer("corruption", corruption)
    if corruption is not None and noise_level_input:
        raise ValueError(
            "`corruption` cannot be combined with `noise_level_input=True`: "
            "the noise level map must describe the noise of the input. "
            f"Received: corruption={corruption!r}"
        )
    v.validate_name(name)

    image = keras.Input((None, None, channels), name="input")
    noisy = v.apply_corruption(image, corruption)
    inputs = image
    x = noisy
    if noise_level_input:
        level = keras.Input((None, None, 1), name="noise_level")
        inputs = [image, level]
        x = keras.layers.Concatenate(name="with_noise_level")([noisy, level])
    x = keras.layers.Conv2D(filters[0], 3, padding="same", name="head")(x)

    skips = []
    for scale, width in enumerate(filters[:-1]):
        for b in range(blocks):
            x = _residual_block(x, width, kernel_size, f"down{scale}_{b}")
        skips.append(x)
        x = keras.layers.Conv2D(
            filters[scale + 1],
            2,
            strides=2,
            padding="same",
            name=f"down{scale}",
        )(x)
    for b in range(blocks):
        x = _residual_block(x, filters[-1], kernel_size, f"body_{b}")
    for scale in reversed(range(len(filters) - 1)):
        x = keras.layers.Conv2DTranspose(
            filters[scale], 2, strides=2, padding="same", name=f"up{scale}"
        )(x)
        x = CropToMatch(name=f"up{scale}_crop")([x, skips[scale]])
        x = keras.layers.Add(name=f"up{scale}_skip")([x, skips[scale]])
        for b in range(blocks):
            x = _residual_block(
                x, filters[scale], kernel_size, f"up{scale}_{b}"
            )
    noise = keras.layers.Conv2D(channels, 3, padding="same", name="noise")(x)
    outputs = keras.layers.Subtract(name="denoised")([noisy, noise])
    return keras.Model(inputs, outputs, name=name)
