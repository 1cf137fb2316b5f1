"""The `cnn_classifier` builder."""

import keras

from keras_denoise.models import _validation as v

HEADS = ("flatten", "global_average")


def cnn_classifier(
    input_shape,
    num_classes,
    filters=(32, 64),
    hidden_units=128,
    dropout=0.25,
    kernel_size=3,
    head="flatten",
    name="cnn_classifier",
):
    """Builds a small convolutional image classifier.

    One stage per entry of `filters` (convolution, ReLU, 2x2 max pooling
    with "same" padding), then a head that turns the feature map into a
    vector, an optional hidden `Dense` layer with dropout, and a softmax
    over `num_classes`. It is the classifier `denoise_classifier` uses by
    default.

    The default `"flatten"` head keeps where each feature is, which small
    images such as digits need: with Adam at its default rate and a few
    epochs it learns far better than a global-average head (see
    `docs/benchmarks.md`). The `"global_average"` head averages each
    feature map to one number; it is the one to use for inputs of unknown
    height and width, and for larger images.

    Args:
        input_shape: `(height, width, channels)`, channels last; height and
            width may be `None`.
        num_classes: number of classes, at least 2.
        filters: filters of the convolution stages. Defaults to `(32, 64)`.
        hidden_units: width of the hidden dense layer, or `None` for none.
            Defaults to `128`.
        dropout: dropout rate before the output layer, in [0, 1).
            Defaults to `0.25`.
        kernel_size: size of the square kernels. Defaults to `3`.
        head: how the last feature map becomes a vector: `"flatten"` (a
            `Flatten` layer; needs a known height and width) or
            `"global_average"` (`GlobalAveragePooling2D`; any image size).
            Defaults to `"flatten"`.
        name: name of the model. Defaults to `"cnn_classifier"`.

    Returns:
        An uncompiled functional `keras.Model` mapping images to class
        probabilities `(batch, num_classes)`; train it with
        `loss="sparse_categorical_crossentropy"` for integer labels.

    Raises:
        ValueError: for a bad shape, `num_classes < 2`, bad layer sizes
            or rates, an unknown `head`, or `head="flatten"` with an
            unknown height or width.

    Example:

    >>> model = keras_denoise.models.cnn_classifier((16, 16, 1), 10)
    >>> model.compile(
    ...     optimizer="adam",
    ...     loss="sparse_categorical_crossentropy",
    ...     metrics=["accuracy"],
    ... )
    >>> model.output.shape
    (None, 10)
    """
    input_shape = v.validate_input_shape(input_shape, allow_none=True)
    num_classes = v.validate_num_classes(num_classes)
    filters = v.validate_int_sequence("filters", filters)
    hidden_units = v.validate_positive_int(
        "hidden_units", hidden_units, allow_none=True
    )
    dropout = v.validate_rate("dropout", dropout)
    kernel_size = v.validate_positive_int("kernel_size", kernel_size)
    if not isinstance(head, str):
        raise TypeError(
            f"`head` must be a string, one of {HEADS}. Received: head={head!r}"
        )
    if head not in HEADS:
        raise ValueError(
            f"`head` must be one of {HEADS}. Received: head={head!r}"
        )
    if head == "flatten" and None in input_shape[:2]:
        raise ValueError(
            '`head="flatten"` needs a known height and width; use '
            '`head="global_average"` for images of any size. '
            f"Received: input_shape={input_shape}, head={head!r}"
        )
    v.validate_name(name)

    inputs = keras.Input(input_shape, name="input")
    x = inputs
    for i, f in enumerate(filters):
        x = keras.layers.Conv2D(
            f, kernel_size, padding="same", activation="relu", name=f"conv_{i}"
        )(x)
        x = keras.layers.MaxPooling2D(2, padding="same", name=f"pool_{i}")(x)
    if head == "flatten":
        x = keras.layers.Flatten(name="flatten")(x)
    else:
        x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    if hidden_units is not None:
        x = keras.layers.Dense(hidden_units, "relu", name="hidden")(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, "softmax", name="probabilities")(
        x
    )
    return keras.Model(inputs, outputs, name=name)
