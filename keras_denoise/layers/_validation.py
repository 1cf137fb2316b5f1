"""Argument checks and helpers shared by the corruption layers.

Every check raises before any work is done, with a message that names the
argument, what is allowed and the value received.
"""

import math
import numbers

import keras
from keras import ops


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


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
        if len(value) != 2 or not all(_is_number(v) for v in value):
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
    if not _is_number(value):
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
    if not _is_number(value):
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


def validate_value_range(value_range):
    """Validates `value_range`: `None` or a pair `(low, high)`, `low < high`."""
    if value_range is None:
        return None
    if (
        not isinstance(value_range, (list, tuple))
        or len(value_range) != 2
        or not all(_is_number(v) for v in value_range)
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
    if data_format is None:
        return keras.config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last', 'channels_first' or None. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


def validate_seed(seed):
    """`seed` must be `None` or a non-negative integer."""
    if seed is not None and (
        not isinstance(seed, numbers.Integral)
        or isinstance(seed, bool)
        or seed < 0
    ):
        raise ValueError(
            "`seed` must be None or a non-negative integer. "
            f"Received: seed={seed!r}"
        )
    return seed


def check_image_batch(inputs, name="inputs"):
    """Raises unless `inputs` is a float tensor of rank 3 or 4."""
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


def draw_per_sample(severity, batch_size, seed_generator, dtype):
    """Draws one severity per sample, shaped `(batch, 1, 1, 1)`.

    A fixed severity is returned as a Python float and broadcasts as such;
    a `(min, max)` range is sampled uniformly per sample.
    """
    if not isinstance(severity, tuple):
        return severity
    low, high = severity
    if low == high:
        return low
    return keras.random.uniform(
        (batch_size, 1, 1, 1),
        minval=low,
        maxval=high,
        dtype=dtype,
        seed=seed_generator,
    )


def clip_to_range(images, value_range):
    if value_range is None:
        return images
    return ops.clip(images, value_range[0], value_range[1])


def shared_draw(draws, key, draw):
    """Returns `draws[key]`, calling `draw()` to fill it the first time.

    `RandomCorruption` passes one `draws` dict to all its corruptions for
    a batch: each sample keeps the output of one corruption only, so
    corruptions that need the same random tensor (the same kind, shape and
    dtype) can share one draw without changing the distribution of any
    sample's output. With `draws=None` this is just `draw()`.
    """
    if draws is None:
        return draw()
    if key not in draws:
        draws[key] = draw()
    return draws[key]


def standard_normal(shape, seed_generator, dtype):
    """Draws N(0, 1) noise of `shape` with a vectorised Box-Muller transform.

    TensorFlow's CPU kernel for `keras.random.normal` (Philox + scalar
    Box-Muller) costs more than two uniform draws per sample; drawing
    uniforms and transforming them with element-wise `log`/`sqrt`/`cos`/
    `sin`, which are vectorised, is faster on CPU (docs/benchmarks.md) and
    exact in distribution.
    Each pair `(r cos t, r sin t)` is split across the two halves of the
    last axis of even static size; without one, `keras.random.normal` is
    used. Computed in float32 (float64 for float64) and cast to `dtype`.
    """
    dtype = keras.backend.standardize_dtype(dtype)
    work = "float64" if dtype == "float64" else "float32"
    shape = tuple(shape)
    axis = None
    for i in reversed(range(len(shape))):
        if isinstance(shape[i], int) and shape[i] % 2 == 0 and shape[i] > 0:
            axis = i
            break
    if axis is None:
        return keras.random.normal(shape, dtype=dtype, seed=seed_generator)
    half = shape[:axis] + (shape[axis] // 2,) + shape[axis + 1 :]
    u1 = keras.random.uniform(half, dtype=work, seed=seed_generator)
    u2 = keras.random.uniform(half, dtype=work, seed=seed_generator)
    # u1 is in [0, 1): log1p(-u1) is finite.
    radius = ops.sqrt(-2.0 * ops.log1p(-u1))
    angle = (2.0 * math.pi) * u2
    noise = ops.concatenate(
        [radius * ops.cos(angle), radius * ops.sin(angle)], axis=axis
    )
    return ops.cast(noise, dtype)


def repeat_over_channels(pixels, shape, data_format):
    """Repeats a one-channel tensor over the channels of `shape`.

    Channels last, a broadcast over the innermost axis is several times
    slower on CPU (TensorFlow) than a same-shape operation; an outer
    product with a row of ones (exact in any float precision, as each
    output is one value times 1) is much cheaper. Channels first, or with
    one channel, the tensor is returned as it is, to be broadcast.
    """
    channels = shape[-1]
    if (
        data_format != "channels_last"
        or not isinstance(channels, int)
        or channels == 1
    ):
        return pixels
    ones = ops.ones((1, channels), dtype=pixels.dtype)
    rows = ops.matmul(ops.reshape(pixels, (-1, 1)), ones)
    return ops.reshape(rows, shape)
