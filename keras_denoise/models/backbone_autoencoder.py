"""The `backbone_autoencoder` builder."""

import math

import keras

from keras_denoise.models import _validation as v


def backbone_autoencoder(
    backbone,
    input_shape=None,
    decoder_filters=None,
    output_channels=None,
    kernel_size=3,
    activation="relu",
    output_activation="sigmoid",
    corruption=None,
    name="backbone_autoencoder",
):
    """Builds an autoencoder whose encoder is any Keras model.

    The `"encoder"` sub-model wraps `backbone` (for example
    `keras.applications.MobileNetV2(weights=None, include_top=False,
    input_shape=(32, 32, 3))`, or a small model of your own). The
    `"decoder"` upsamples the backbone's feature map back to the input size
    with stride-2 transposed convolutions, one stage per halving, then a
    convolution to `output_channels`. When the backbone's reductions do not
    divide the input size (a 28x28 input reduced to 1x1 by five halvings),
    the decoder overshoots to the next power of two and crops its output,
    so the model always maps the input shape to itself (with
    `output_channels` channels).

    A backbone that outputs a vector `(batch, features)` (e.g. with global
    pooling) is treated as a 1x1 feature map. Its weights are shared, not
    copied: set `backbone.trainable = False` to freeze it.

    Args:
        backbone: a `keras.Model` with one image input (channels last) and
            one output of rank 4 (feature map) or rank 2 (vector).
        input_shape: `(height, width, channels)` of the images; it must
            match every dimension the backbone's input defines (a backbone
            built for `(None, None, 3)` takes any size with 3 channels).
            Defaults to `None`: the backbone's input shape, which must then
            be fully defined.
        decoder_filters: filters of the decoder's upsampling stages, one per
            stage (the number of stages is `ceil(log2(input size / feature
            size))`, the error message says it when the length is wrong).
            Defaults to `None`: halving from the backbone's channels, capped
            to [16, 128].
        output_channels: channels of the reconstruction. Defaults to
            `None`: the input's channels.
        kernel_size: size of the decoder's kernels. Defaults to `3`.
        activation: activation of the decoder's hidden layers. Defaults to
            `"relu"`.
        output_activation: activation of the reconstruction. Defaults to
            `"sigmoid"`.
        corruption: optional corruption layer applied to the input inside
            the model, before the encoder; active only while training.
            Defaults to `None`.
        name: name of the model. Defaults to `"backbone_autoencoder"`.

    Returns:
        An uncompiled functional `keras.Model` with the sub-models
        `"encoder"` (wrapping `backbone`) and `"decoder"`.

    Raises:
        TypeError: if `backbone` is not a Keras model or `corruption` is not
            a layer.
        ValueError: if the backbone has several inputs or outputs, an
            output of rank other than 2 or 4, if the input shape is not
            fully defined or does not match the backbone's defined input
            dimensions, or for bad decoder arguments.

    Example:

    >>> backbone = keras.applications.MobileNetV2(
    ...     weights=None, include_top=False, input_shape=(32, 32, 3)
    ... )
    >>> model = keras_denoise.models.backbone_autoencoder(backbone)
    >>> model.compile(optimizer="adam", loss="mse")
    >>> model.output.shape
    (None, 32, 32, 3)
    """
    v.validate_model("backbone", backbone, allow_none=False)
    backbone_shape = v.model_input_shape(backbone)
    if input_shape is None:
        input_shape = backbone_shape
        if len(input_shape) != 3 or None in input_shape:
            raise ValueError(
                "The backbone's input shape is not a fully defined "
                "(height, width, channels); pass `input_shape`. "
                f"Received: backbone input shape {input_shape!r}"
            )
    requested = input_shape
    input_shape = v.validate_input_shape(input_shape)
    # Checked before the backbone is called, so that a mismatch is reported
    # here rather than by a layer deep inside the backbone (or, for the
    # channels of some models, only at `predict`).
    if len(backbone_shape) != 3 or any(
        expected is not None and expected != size
        for expected, size in zip(backbone_shape, input_shape, strict=True)
    ):
        raise ValueError(
            "`input_shape` must match the backbone's input shape "
            f"{backbone_shape} (None: any size). "
            f"Received: input_shape={requested!r}"
        )
    output_channels = v.validate_positive_int(
        "output_channels", output_channels, allow_none=True
    )
    if output_channels is None:
        output_channels = input_shape[-1]
    kernel_size = v.validate_positive_int("kernel_size", kernel_size)
    v.validate_activation("activation", activation)
    v.validate_activation("output_activation", output_activation)
    v.validate_layer("corruption", corruption)
    v.validate_name(name)

    encoder_inputs = keras.Input(input_shape, name="encoder_input")
    features = backbone(encoder_inputs)
    if isinstance(features, (list, tuple, dict)):
        raise ValueError(
            "`backbone` must have a single output. "
            f"Received: backbone with {len(features)} outputs"
        )
    if len(features.shape) == 2:
        features = keras.layers.Reshape(
            (1, 1, features.shape[-1]), name="to_feature_map"
        )(features)
    if len(features.shape) != 4 or None in features.shape[1:]:
        raise ValueError(
            "`backbone` must output a feature map (batch, height, width, "
            "channels) or a vector (batch, features) of known size. "
            f"Received: output shape {tuple(features.shape)}"
        )
    encoder = keras.Model(encoder_inputs, features, name="encoder")

    feature_shape = tuple(features.shape[1:])
    halvings = [
        max(0, math.ceil(math.log2(size / feature_size)))
        for size, feature_size in zip(
            input_shape[:2], feature_shape[:2], strict=True
        )
    ]
    stages = max(halvings)
    if decoder_filters is None:
        decoder_filters = tuple(
            max(16, min(128, feature_shape[-1] >> (i + 1)))
            for i in range(stages)
        )
    decoder_filters = v.validate_int_sequence(
        "decoder_filters", decoder_filters, allow_empty=True
    )
    if len(decoder_filters) != stages:
        raise ValueError(
            f"`decoder_filters` must have one entry per upsampling stage; "
            f"this backbone needs {stages} (feature map {feature_shape[:2]} "
            f"to input {input_shape[:2]}). "
            f"Received: decoder_filters={decoder_filters!r}"
        )

    decoder_inputs = keras.Input(feature_shape, name="decoder_input")
    x = decoder_inputs
    for i, f in enumerate(decoder_filters):
        strides = tuple(2 if i < h else 1 for h in halvings)
        x = keras.layers.Conv2DTranspose(
            f,
            kernel_size,
            strides=strides,
            padding="same",
            activation=activation,
            name=f"decoder_conv_{i}",
        )(x)
    x = keras.layers.Conv2D(
        output_channels,
        kernel_size,
        padding="same",
        activation=output_activation,
        name="reconstruction",
    )(x)
    excess = [x.shape[1] - input_shape[0], x.shape[2] - input_shape[1]]
    x = v.crop(x, tuple((e // 2, e - e // 2) for e in excess), "crop")
    decoder = keras.Model(decoder_inputs, x, name="decoder")

    inputs = keras.Input(input_shape, name="input")
    x = v.apply_corruption(inputs, corruption)
    outputs = decoder(encoder(x))
    return keras.Model(inputs, outputs, name=name)
