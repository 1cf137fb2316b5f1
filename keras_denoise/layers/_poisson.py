"""A Poisson sampler written with `keras.ops` and `keras.random` only.

Keras has no Poisson sampler, and the backends' own samplers are not
reachable through `keras.ops`. This one runs on every backend, inside
`tf.data` functions and under XLA (`jit_compile=True`), because its shape
and its number of steps are fixed in advance:

- rates below `_SMALL_RATE_LIMIT` use inversion (sequential search of the
  cumulative distribution) with `_INVERSION_STEPS` vectorised steps;
- larger rates use Hörmann's transformed rejection with squeeze, "PTRS"
  (W. Hörmann, "The transformed rejection method for generating Poisson
  random variables", Insurance: Mathematics and Economics 12, 1993), the
  algorithm NumPy uses, with `_REJECTION_ROUNDS` vectorised proposal rounds.
  A value still rejected after the last round (probability below 6e-8)
  falls back to the rounded normal approximation.

Every value is computed by both branches and the right one is selected, so
the work per value is constant. Arithmetic is in float32 (float64 for
float64 rates); the log-probability used by PTRS is written so that it does
not lose precision for large rates in float32.
"""

import math

import keras
import numpy as np
from keras import ops

# PTRS is valid for rates >= 10 (Hörmann 1993).
_SMALL_RATE_LIMIT = 10.0
# P(X > 32) for a rate of 10 is 7e-9, below float32 resolution.
_INVERSION_STEPS = 32
# PTRS accepts about 75% of proposals at a rate of 10 and more at larger
# rates (88% at 5000): after 12 rounds a value is still undecided with
# probability below 6e-8, and only those few use the normal approximation.
_REJECTION_ROUNDS = 12
_ROUNDS_PER_DRAW = 3
# Inversion stops once the next probability is negligible; this keeps
# float32 rounding of the cumulative sum from producing huge outliers.
_NEGLIGIBLE_PROBABILITY = 1e-10
_LOG_FACTORIALS = np.array(
    [math.lgamma(k + 1.0) for k in range(10)], dtype="float64"
)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _sampling_dtype(dtype):
    dtype = keras.backend.standardize_dtype(dtype)
    return "float64" if dtype == "float64" else "float32"


def sample_poisson(rate, seed_generator, dtype=None):
    """Draws `Poisson(rate)` values elementwise.

    Args:
        rate: tensor of rates; negative values are treated as 0, NaN
            and `inf` are returned unchanged (`-inf` as 0).
        seed_generator: a `keras.random.SeedGenerator`.
        dtype: float dtype of the result. Defaults to the dtype of `rate`
            (float32 if `rate` is not a float tensor).

    Returns:
        A tensor of the shape of `rate` holding non-negative integers as
        floats of `dtype`.
    """
    rate = ops.convert_to_tensor(rate)
    if dtype is None:
        dtype = keras.backend.standardize_dtype(rate.dtype)
        if "float" not in dtype:
            dtype = "float32"
    work_dtype = _sampling_dtype(dtype)
    given = ops.cast(rate, work_dtype)
    # NaN and +inf rates are returned as they are: sampled, they would
    # index a lookup table with garbage (a backend error on CPU).
    finite = ops.isfinite(given)
    rate = ops.maximum(ops.where(finite, given, 0.0), 0.0)
    small = ops.less(rate, _SMALL_RATE_LIMIT)
    counts_small = _sample_by_inversion(
        ops.where(small, rate, 0.0), seed_generator
    )
    counts_large = _sample_by_transformed_rejection(
        ops.where(small, _SMALL_RATE_LIMIT, rate), seed_generator
    )
    counts = ops.where(small, counts_small, counts_large)
    counts = ops.where(finite, counts, ops.maximum(given, 0.0))
    return ops.cast(counts, dtype)


def _sample_by_inversion(rate, seed_generator):
    """Inversion for rates in [0, 10): `k` such that F(k-1) < u <= F(k)."""
    dtype = rate.dtype
    u = keras.random.uniform(ops.shape(rate), dtype=dtype, seed=seed_generator)
    probability = ops.exp(-rate)
    cumulative = probability
    count = ops.zeros_like(rate)
    for step in range(1, _INVERSION_STEPS + 1):
        probability = probability * rate / step
        move_up = ops.logical_and(
            ops.greater(u, cumulative),
            ops.greater(probability, _NEGLIGIBLE_PROBABILITY),
        )
        count = count + ops.cast(move_up, dtype)
        cumulative = cumulative + probability
    return count


def _log_poisson_pmf(count, rate, log_rate):
    """`log P(X = count)`, accurate in float32 even for rates of 1e6."""
    # Small counts: direct formula with exact log-factorials.
    table = ops.convert_to_tensor(
        _LOG_FACTORIALS, dtype=keras.backend.standardize_dtype(count.dtype)
    )
    index = ops.cast(ops.clip(count, 0.0, 9.0), "int32")
    direct = -rate + count * log_rate - ops.take(table, index)
    # Large counts: Stirling's series for log(count!) with the
    # cancellations between `count * log(rate)`, `log(count!)` and `rate`
    # done analytically, so that nothing of magnitude `rate` is subtracted.
    x = ops.maximum(count, 9.0) + 1.0
    correction = (
        1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (1260.0 * x * x)) / (x * x)
    ) / x
    stirling = (
        ops.maximum(count, 9.0) * ops.log1p((rate - x) / x)
        - 0.5 * ops.log(x)
        + (x - rate)
        - _HALF_LOG_2PI
        - correction
    )
    return ops.where(ops.less(count, 10.0), direct, stirling)


def _sample_by_transformed_rejection(rate, seed_generator):
    """PTRS for rates >= 10 with a fixed number of vectorised rounds."""
    dtype = rate.dtype
    shape = ops.shape(rate)
    sqrt_rate = ops.sqrt(rate)
    log_rate = ops.log(rate)
    b = 0.931 + 2.53 * sqrt_rate
    a = -0.059 + 0.02483 * b
    log_inv_alpha = ops.log(1.1239 + 1.1328 / (b - 3.4))
    v_r = 0.9277 - 3.6224 / (b - 2.0)

    result = ops.zeros_like(rate)
    done = ops.zeros(shape, dtype="bool")
    for round_index in range(_REJECTION_ROUNDS):
        block_index = round_index % _ROUNDS_PER_DRAW
        if block_index == 0:
            # One random draw per block of rounds: each draw is expanded
            # into a sizeable generator by XLA, so fewer draws compile
            # much faster, at the cost of a few input-sized buffers.
            uniforms = keras.random.uniform(
                (2 * _ROUNDS_PER_DRAW,) + tuple(shape),
                dtype=dtype,
                seed=seed_generator,
            )
        u = uniforms[2 * block_index] - 0.5
        v = uniforms[2 * block_index + 1]
        # `us` is 0 only when the uniform draw is exactly 0; keep it finite.
        us = ops.maximum(0.5 - ops.abs(u), 1e-7)
        count = ops.floor((2.0 * a / us + b) * u + rate + 0.43)
        squeeze = ops.logical_and(
            ops.greater_equal(us, 0.07), ops.less_equal(v, v_r)
        )
        valid = ops.logical_and(
            ops.greater_equal(count, 0.0),
            ops.logical_not(
                ops.logical_and(ops.less(us, 0.013), ops.greater(v, us))
            ),
        )
        safe_count = ops.maximum(count, 0.0)
        log_hat = (
            ops.log(ops.maximum(v, 1e-30))
            + log_inv_alpha
            - ops.log(a / (us * us) + b)
        )
        accept = ops.logical_or(
            squeeze,
            ops.logical_and(
                valid,
                ops.less_equal(
                    log_hat, _log_poisson_pmf(safe_count, rate, log_rate)
                ),
            ),
        )
        take = ops.logical_and(accept, ops.logical_not(done))
        result = ops.where(take, safe_count, result)
        done = ops.logical_or(done, accept)

    fallback = ops.maximum(
        ops.round(
            rate
            + sqrt_rate
            * keras.random.normal(shape, dtype=dtype, seed=seed_generator)
        ),
        0.0,
    )
    return ops.where(done, result, fallback)
