"""Argument checks shared by the whole package.

One policy everywhere: a value of the wrong type (a string or a bool where
a number is expected, a float where an integer is) raises `TypeError`; a
value of the right type outside what is allowed raises `ValueError`. Every
check runs before any work is done, and its message names the argument,
what is allowed and the value received:
"`rate` must be in [0, 1]. Received: rate=1.5".

This module imports no backend at module level and nothing from the rest
of the package, so every subpackage may import it.
"""

import math
import numbers


def is_number(value):
    """Whether `value` is a real number (a bool is not)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_int(value):
    """Whether `value` is an integer (a bool is not)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(name, value, minimum=1, allow_none=False):
    """Checks that `value` is an integer >= `minimum`; returns it as `int`.

    Raises:
        TypeError: if `value` is not an integer (or `None` when allowed).
        ValueError: if `value` is below `minimum`.
    """
    if value is None and allow_none:
        return None
    extra = " or None" if allow_none else ""
    if not is_int(value):
        raise TypeError(
            f"`{name}` must be an integer >= {minimum}{extra}. "
            f"Received: {name}={value!r}"
        )
    if value < minimum:
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}{extra}. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def validate_positive_int(name, value, allow_none=False):
    """`value` must be a positive integer (or `None` when allowed)."""
    return check_int(name, value, minimum=1, allow_none=allow_none)


def validate_seed(seed):
    """`seed` must be `None` or an integer in [0, 2**31 - 1]; returns an int.

    The bound is the largest seed every backend's `SeedGenerator` takes
    (PyTorch keeps it in an int32), so a saved layer loads on all three.
    """
    message = (
        "`seed` must be None or an integer in [0, 2**31 - 1]. "
        f"Received: seed={seed!r}"
    )
    if seed is None:
        return None
    if not is_int(seed):
        raise TypeError(message)
    if not 0 <= seed <= 2**31 - 1:
        raise ValueError(message)
    return int(seed)


def validate_int_sequence(name, value, allow_empty=False):
    """`value` must be a tuple/list of positive integers."""
    empty = "" if allow_empty else "non-empty "
    message = (
        f"`{name}` must be a {empty}tuple of positive integers. "
        f"Received: {name}={value!r}"
    )
    if not isinstance(value, (tuple, list)) or not all(
        is_int(v) for v in value
    ):
        raise TypeError(message)
    if not all(v >= 1 for v in value) or not (allow_empty or value):
        raise ValueError(message)
    return tuple(int(v) for v in value)


def _in_range(value, min_value, max_value, min_inclusive=True):
    if not math.isfinite(value):
        return False
    if value < min_value or (not min_inclusive and value == min_value):
        return False
    return max_value is None or value <= max_value


def _allowed(min_value, max_value, min_inclusive=True):
    upper = "inf)" if max_value is None else f"{max_value}]"
    lower = "[" if min_inclusive else "("
    return f"in {lower}{min_value}, {upper}"


def validate_number(name, value, min_value=0.0, max_value=None):
    """Validates a plain number (no range) in `[min_value, max_value]`.

    Returns:
        The value as a float.

    Raises:
        TypeError: if `value` is not a real number.
        ValueError: if `value` is out of range or not finite.
    """
    if not is_number(value):
        raise TypeError(
            f"`{name}` must be a number. Received: {name}={value!r}"
        )
    value = float(value)
    if not _in_range(value, min_value, max_value):
        raise ValueError(
            f"`{name}` must be {_allowed(min_value, max_value)}. "
            f"Received: {name}={value!r}"
        )
    return value


def validate_severity(
    name, value, min_value=0.0, max_value=None, min_inclusive=True
):
    """Validates a severity given as a number or a `(min, max)` range.

    Args:
        name: the argument's name, used in error messages.
        value: a number or a pair `(low, high)` with `low <= high`.
        min_value: smallest allowed value.
        max_value: largest allowed value (inclusive), `None` for no bound.
        min_inclusive: whether `min_value` itself is allowed.

    Returns:
        A float or a tuple of two floats.

    Raises:
        TypeError: if `value` is neither a number nor a pair of numbers.
        ValueError: if a bound is out of range, not finite, or `low > high`.
    """
    if isinstance(value, (list, tuple)):
        if len(value) != 2 or not all(is_number(v) for v in value):
            raise TypeError(
                f"`{name}` must be a number or a (min, max) pair of numbers. "
                f"Received: {name}={value!r}"
            )
        low, high = float(value[0]), float(value[1])
        for bound in (low, high):
            if not _in_range(bound, min_value, max_value, min_inclusive):
                raise ValueError(
                    f"`{name}` bounds must be "
                    f"{_allowed(min_value, max_value, min_inclusive)}. "
                    f"Received: {name}={value!r}"
                )
        if low > high:
            raise ValueError(
                f"`{name}` range must have min <= max. "
                f"Received: {name}={value!r}"
            )
        return (low, high)
    if not is_number(value):
        raise TypeError(
            f"`{name}` must be a number or a (min, max) pair of numbers. "
            f"Received: {name}={value!r}"
        )
    value = float(value)
    if not _in_range(value, min_value, max_value, min_inclusive):
        raise ValueError(
            f"`{name}` must be "
            f"{_allowed(min_value, max_value, min_inclusive)}. "
            f"Received: {name}={value!r}"
        )
    return value


def validate_rate(name, value):
    """`value` must be a number in [0, 1)."""
    if not is_number(value):
        raise TypeError(
            f"`{name}` must be a number in [0, 1). Received: {name}={value!r}"
        )
    if not 0.0 <= value < 1.0:
        raise ValueError(
            f"`{name}` must be a number in [0, 1). Received: {name}={value!r}"
        )
    return float(value)


def validate_value_range(value_range):
    """Validates `value_range`: `None` or a pair `(low, high)`, `low < high`."""
    if value_range is None:
        return None
    if (
        not isinstance(value_range, (list, tuple))
        or len(value_range) != 2
        or not all(is_number(v) for v in value_range)
    ):
        raise TypeError(
            "`value_range` must be None or a (min, max) pair of numbers. "
            f"Received: value_range={value_range!r}"
        )
    low, high = float(value_range[0]), float(value_range[1])
    if not low < high:
        raise ValueError(
            "`value_range` must have min < max. "
            f"Received: value_range={value_range!r}"
        )
    return (low, high)


def validate_data_format(data_format):
    """Returns `data_format`, or Keras's default image data format if `None`."""
    import keras

    if data_format is None:
        return keras.config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last', 'channels_first' or None. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


def validate_choice(name, value, choices):
    """`value` must be one of `choices`."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(
            f"`{name}` must be one of {allowed}. Received: {name}={value!r}"
        )
    return value


# How latent codes of more than two dimensions are drawn in two.
PROJECTIONS = ("auto", "first", "pca")


def validate_projection(projection):
    """`projection` must be one of `PROJECTIONS`."""
    return validate_choice("projection", projection, PROJECTIONS)


def validate_name(name):
    """`name` must be a non-empty string."""
    if not isinstance(name, str):
        raise TypeError(
            f"`name` must be a non-empty string. Received: name={name!r}"
        )
    if not name:
        raise ValueError(
            f"`name` must be a non-empty string. Received: name={name!r}"
        )
    return name


def check_image_batch(inputs, name="inputs"):
    """Raises unless `inputs` is a float tensor of rank 3 or 4."""
    import keras

    if not hasattr(inputs, "dtype") or not hasattr(inputs, "shape"):
        raise TypeError(
            f"`{name}` must be a floating-point image tensor or array of "
            "rank 3 or 4. "
            f"Received: {name} of type {type(inputs).__name__}"
        )
    dtype = keras.backend.standardize_dtype(inputs.dtype)
    if "float" not in dtype:
        raise TypeError(
            f"`{name}` must be a floating-point image tensor (for example "
            "scaled to [0, 1] with `x / 255.0`). "
            f"Received: {name}.dtype={dtype}"
        )
    rank = len(inputs.shape)
    if rank not in (3, 4):
        raise ValueError(
            f"`{name}` must be an image of rank 3 (height, width, channels) "
            "or a batch of rank 4 (batch, height, width, channels). "
            f"Received: {name}.shape={tuple(inputs.shape)}"
        )


def concrete_value(value):
    """`value` as a NumPy array, or `None` when it is symbolic.

    Inside a compiled step (`tf.function`, `jax.jit`) a tensor has no value
    yet and only its shape can be checked; each backend signals this with
    its own exception type, hence the broad `except`.
    """
    import keras
    import numpy as np

    try:
        return np.asarray(keras.ops.convert_to_numpy(value))
    except Exception:
        return None
