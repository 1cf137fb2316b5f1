"""Random draws and speed helpers shared by the corruption layers.

Each helper keeps the distribution of the corruption exact; the faster
form is chosen for CPU kernels (the measurements are in
docs/benchmarks.md).
"""

import math

import keras
from keras import ops


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
