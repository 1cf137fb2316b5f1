"""Argument checks and small graph helpers shared by the model builders.

Every check raises before any layer is created, with a message that names
the argument, what is allowed and the value received.
"""

import math

import keras

from keras_denoise._validation import is_int
from keras_denoise._validation import validate_choice  # noqa: F401
from keras_denoise._validation import validate_int_sequence  # noqa: F401
from keras_denoise._validation import validate_name  # noqa: F401
from keras_denoise._validation import validate_positive_int  # noqa: F401
from keras_denoise._validation import validate_rate  # noqa: F401


def validate_input_shape(
    input_shape, min_rank=3, max_rank=3, allow_none=False, name="input_shape"
):
    """Validates an input shape (without the batch axis).

    Args:
        input_shape: a tuple or list of positive integers (`None` allowed
            for the spatial axes when `allow_none` is true).
        min_rank: smallest allowed length.
        max_rank: largest allowed length.
        allow_none: whether spatial axes (all but the last) may be `None`.
        name: the argument's name, used in error messages.

    Returns:
        The shape as a tuple.
    """
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(
            f"`{name}` must be a tuple of integers such as (28, 28, 1). "
            f"Received: {name}={input_shape!r}"
        )
    shape = tuple(input_shape)
    if not min_rank <= len(shape) <= max_rank:
        if min_rank == max_rank == 3:
            what = "(height, width, channels)"
        else:
            what = f"of length {min_rank} to {max_rank}"
        raise ValueError(
            f"`{name}` must be {what}, without the batch axis. "
            f"Received: {name}={input_shape!r}"
        )
    for i, dim in enumerate(shape):
        spatial = i < len(shape) - 1
        if dim is None and allow_none and spatial:
            continue
        if not is_int(dim) or dim < 1:
            error = TypeError if not is_int(dim) else ValueError
            raise error(
                f"`{name}` must contain positive integers"
                + (" (or None for height and width)" if allow_none else "")
                + f". Received: {name}={input_shape!r}"
            )
    return tuple(None if d is None else int(d) for d in shape)


def validate_activation(name, value):
    """`value` must be something `keras.activations.get` accepts."""
    try:
        keras.activations.get(value)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"`{name}` must be a Keras activation name or function. "
            f"Received: {name}={value!r}"
        ) from error
    return value


def validate_layer(name, value, allow_none=True):
    """`value` must be a Keras layer instance (or `None` when allowed)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, keras.layers.Layer):
        raise TypeError(
            f"`{name}` must be a Keras layer instance"
            + (" or None" if allow_none else "")
            + f". Received: {name}={value!r}"
        )
    return value


def validate_model(name, value, allow_none=True):
    """`value` must be a Keras model with a single, defined input."""
    if value is None and allow_none:
        return None
    if not isinstance(value, keras.Model):
        raise TypeError(
            f"`{name}` must be a keras.Model"
            + (" or None" if allow_none else "")
            + f". Received: {name}={value!r}"
        )
    try:
        inputs = value.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs or len(inputs) != 1:
        raise ValueError(
            f"`{name}` must be a built model with exactly one input (a "
            "functional or Sequential model created with an Input). "
            f"Received: {name}={value.name!r} with inputs={inputs!r}"
        )
    return value


def model_input_shape(model):
    """The input shape of a single-input model, without the batch axis."""
    return tuple(model.inputs[0].shape[1:])


def padding_for(size, multiple):
    """Padding `(before, after)` that makes `size` a multiple of `multiple`."""
    total = math.ceil(size / multiple) * multiple - size
    return (total // 2, total - total // 2)


def pad_to_multiple(x, multiple, name):
    """Zero-pads a channels-last feature map to a multiple of `multiple`.

    Returns the padded tensor and the `((top, bottom), (left, right))`
    padding, to be undone with `Cropping2D` at the end of the decoder.
    """
    height, width = x.shape[1], x.shape[2]
    if multiple == 1:
        return x, ((0, 0), (0, 0))
    padding = (padding_for(height, multiple), padding_for(width, multiple))
    if padding != ((0, 0), (0, 0)):
        x = keras.layers.ZeroPadding2D(padding, name=name)(x)
    return x, padding


def crop(x, cropping, name):
    """Crops `((top, bottom), (left, right))` off a feature map, if any."""
    if cropping != ((0, 0), (0, 0)):
        x = keras.layers.Cropping2D(cropping, name=name)(x)
    return x


def apply_corruption(x, corruption):
    """Applies the optional training-time corruption layer."""
    if corruption is None:
        return x
    return corruption(x)


def validate_num_classes(num_classes):
    """`num_classes` must be an integer >= 2."""
    if not is_int(num_classes) or num_classes < 2:
        error = TypeError if not is_int(num_classes) else ValueError
        raise error(
            "`num_classes` must be an integer of at least 2. "
            f"Received: num_classes={num_classes!r}"
        )
    return int(num_classes)
