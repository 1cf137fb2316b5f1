"""The `conv_autoencoder` builder."""

import math

import keras

from keras_denoise.models import _validation as v

_DOWNSAMPLING = ("strided", "pooling", "none")
_UPSAMPLING = ("transposed", "upsampling")


def conv_autoencoder(
    input_shape,
    filters=(32, 64),
    latent_dim=None,
    downsampling="strided",
    upsampling=None,
    kernel_size=3,
    activation="relu",
    output_activation="sigmoid",
    corruption=None,
    name="conv_autoencoder",
):
    """Builds a symmetric convolutional (denoising) autoencoder.

    The encoder has one convolution stage per entry of `filters`; each
    stage halves the height and width with a stride-2 convolution
    (`downsampling="strided"`), a convolution followed by 2x2 max pooling
    (`"pooling"`), or keeps the size (`"none"`). The decoder mirrors it,
    doubling the size at each stage with a stride-2 transposed convolution
    (`upsampling="transposed"`) or a 2x `UpSampling2D` followed by a
    convolution (`"upsampling"`), and ends with a convolution to the
    input's channel count. The two choices are independent: the Keras
    denoising example, for one, pairs max pooling with transposed
    convolutions. With an integer `latent_dim` the encoder ends in a dense
    bottleneck (`Flatten` then `Dense(latent_dim)`), mirrored by a `Dense`
    and a `Reshape` at the start of the decoder.

    Any height and width work: with `n` downsampling stages, an image whose
    size is not a multiple of `2**n` (28x28 with three stages, say) is
    zero-padded at the start of the encoder to the next multiple (32x32)
    and the decoder crops its output back, so the model always maps
    `input_shape` to `input_shape`.

    Args:
        input_shape: `(height, width, channels)`, channels last. Height and
            width may be `None` (any size) only with
            `downsampling="none"` and `latent_dim=None`.
        filters: filters of the encoder stages, first stage first; the
            decoder uses them in reverse. Defaults to `(32, 64)`.
        latent_dim: `None` keeps a spatial latent (the last encoder feature
            map); an integer flattens it into a dense code of that size.
            Defaults to `None`.
        downsampling: `"strided"`, `"pooling"` or `"none"`. Defaults to
            `"strided"`.
        upsampling: `"transposed"`, `"upsampling"` or `None`, which
            mirrors `downsampling` (`"transposed"` after `"strided"`,
            `"upsampling"` after `"pooling"`). Must be `None` with
            `downsampling="none"`, where nothing is upsampled. Defaults to
            `None`.
        kernel_size: size of the square convolution kernels. Defaults to
            `3`.
        activation: activation of the hidden layers. Defaults to `"relu"`.
        output_activation: activation of the reconstruction. Defaults to
            `"sigmoid"`.
        corruption: optional corruption layer applied to the input inside
            the model, before the encoder; active only while training.
            Defaults to `None`.
        name: name of the model. Defaults to `"conv_autoencoder"`.

    Returns:
        An uncompiled functional `keras.Model` mapping `input_shape` to
        `input_shape`, with the sub-models `"encoder"` and `"decoder"`.

    Raises:
        ValueError: for a bad shape, empty or non-positive `filters`, a
            non-positive `latent_dim` or `kernel_size`, an unknown
            `downsampling`, `upsampling` or activation, or an `upsampling`
            with `downsampling="none"`.
        TypeError: if `corruption` is not a Keras layer.

    Example:

    >>> model = keras_denoise.models.conv_autoencoder(
    ...     (28, 28, 1), filters=(16, 32, 64)
    ... )
    >>> model.compile(optimizer="adam", loss="mse")
    >>> model.output.shape
    (None, 28, 28, 1)
    """
    downsampling = v.validate_choice(
        "downsampling", downsampling, _DOWNSAMPLING
    )
    if upsampling is not None:
        upsampling = v.validate_choice("upsampling", upsampling, _UPSAMPLING)
        if downsampling == "none":
            raise ValueError(
                '`upsampling` must be None with `downsampling="none"` (the '
                "decoder keeps the size). "
                f"Received: upsampling={upsampling!r}"
            )
    elif downsampling == "strided":
        upsampling = "transposed"
    elif downsampling == "pooling":
        upsampling = "upsampling"
    latent_dim = v.validate_positive_int(
        "latent_dim", latent_dim, allow_none=True
    )
    fully_convolutional = downsampling == "none" and latent_dim is None
    input_shape = v.validate_input_shape(input_shape, allow_none=True)
    filters = v.validate_int_sequence("filters", filters)
    kernel_size = v.validate_positive_int("kernel_size", kernel_size)
    v.validate_activation("activation", activation)
    v.validate_activation("output_activation", output_activation)
    v.validate_layer("corruption", corruption)
    v.validate_name(name)
    if not fully_convolutional and None in input_shape[:2]:
        raise ValueError(
            "`input_shape` must have a defined height and width unless "
            "`downsampling='none'` and `latent_dim=None`. "
            f"Received: input_shape={input_shape!r}"
        )

    channels = input_shape[-1]
    scale = 1 if downsampling == "none" else 2 ** len(filters)
    conv = _conv_factory(kernel_size, activation)

    encoder_inputs = keras.Input(input_shape, name="encoder_input")
    x, padding = v.pad_to_multiple(encoder_inputs, scale, "pad")
    for i, f in enumerate(filters):
        if downsampling == "strided":
            x = conv(f, strides=2, name=f"encoder_conv_{i}")(x)
        else:
            x = conv(f, name=f"encoder_conv_{i}")(x)
            if downsampling == "pooling":
                x = keras.layers.MaxPooling2D(2, name=f"encoder_pool_{i}")(x)
    feature_shape = tuple(x.shape[1:])
    if latent_dim is not None:
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(latent_dim, name="code")(x)
    encoder = keras.Model(encoder_inputs, x, name="encoder")

    decoder_inputs = keras.Input(tuple(x.shape[1:]), name="decoder_input")
    x = decoder_inputs
    if latent_dim is not None:
        x = keras.layers.Dense(
            math.prod(feature_shape), activation, name="decoder_dense"
        )(x)
        x = keras.layers.Reshape(feature_shape, name="reshape")(x)
    for i, f in enumerate(reversed(filters)):
        if upsampling == "transposed":
            x = keras.layers.Conv2DTranspose(
                f,
                kernel_size,
                strides=2,
                padding="same",
                activation=activation,
                name=f"decoder_conv_{i}",
            )(x)
        else:
            if upsampling == "upsampling":
                x = keras.layers.UpSampling2D(2, name=f"decoder_up_{i}")(x)
            x = conv(f, name=f"decoder_conv_{i}")(x)
    x = keras.layers.Conv2D(
        channels,
        kernel_size,
        padding="same",
        activation=output_activation,
        name="reconstruction",
    )(x)
    x = v.crop(x, padding, "crop")
    decoder = keras.Model(decoder_inputs, x, name="decoder")

    inputs = keras.Input(input_shape, name="input")
    x = v.apply_corruption(inputs, corruption)
    outputs = decoder(encoder(x))
    return keras.Model(inputs, outputs, name=name)


def _conv_factory(kernel_size, activation):
    def conv(filters, strides=1, name=None):
        return keras.layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            padding="same",
            activation=activation,
            name=name,
        )

    return conv
