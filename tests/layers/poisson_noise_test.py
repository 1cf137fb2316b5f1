import math

import keras
import numpy as np
import pytest
from corruption_checks import CorruptionLayerChecks
from corruption_checks import images
from corruption_checks import to_numpy

from keras_denoise.layers import PoissonNoise
from keras_denoise.layers._poisson import sample_poisson

# 1e6: the sampler's docstring claims float32 accuracy there (a mean
# within 16 = 5 standard errors of 1e6, a relative 1.6e-5).
RATES = (0.5, 3.0, 12.0, 100.0, 5000.0, 1e6)
SAMPLES = 100_000


def mean_tolerance(rate, n, z=5.0):
    """`z` standard errors of the mean of `n` Poisson(rate) values."""
    return z * math.sqrt(rate / n)


def variance_tolerance(rate, n, z=5.0):
    """`z` standard errors of the sample variance of `n` Poisson values.

    Var(s^2) ~ (mu4 - sigma^4) / n with mu4 = rate (1 + 3 rate).
    """
    return z * math.sqrt((rate + 2.0 * rate * rate) / n)


def poisson_pmf(k, rate):
    return math.exp(-rate + k * math.log(rate) - math.lgamma(k + 1))


@pytest.fixture(scope="module")
def samples():
    """`SAMPLES` draws at each rate of `RATES`, all in one tensor."""
    keras.utils.clear_session(free_memory=False)
    rates = np.repeat(np.array(RATES, dtype="float32")[:, None], SAMPLES, 1)
    counts = sample_poisson(rates, keras.random.SeedGenerator(2024))
    return dict(zip(RATES, to_numpy(counts).astype("float64"), strict=True))


class TestPoissonSampler:
    @pytest.mark.parametrize("rate", RATES)
    def test_mean(self, samples, rate):
        mean = samples[rate].mean()
        assert abs(mean - rate) < mean_tolerance(rate, SAMPLES)

    @pytest.mark.parametrize("rate", RATES)
    def test_variance(self, samples, rate):
        variance = samples[rate].var(ddof=1)
        assert abs(variance - rate) < variance_tolerance(rate, SAMPLES)

    @pytest.mark.parametrize("rate", RATES)
    def test_values_are_non_negative_integers(self, samples, rate):
        values = samples[rate]
        assert values.min() >= 0
        np.testing.assert_array_equal(values, np.round(values))

    @pytest.mark.parametrize("rate", [0.5, 3.0, 12.0, 100.0])
    def test_probabilities_match_the_pmf(self, samples, rate):
        # Pearson chi-square over the values with an expected count >= 20,
        # each tail lumped into one bin: at 100, <= 69, 70..132 and >= 133
        # (64 degrees of freedom); at 0.5, 0..3 and >= 4 (4).
        values = samples[rate]
        last = int(rate + 20 * math.sqrt(rate) + 20)
        expected = SAMPLES * np.array(
            [poisson_pmf(k, rate) for k in range(last + 1)]
        )
        kept = np.flatnonzero(expected >= 20)
        low, high = kept[0], kept[-1]
        observed = [np.sum(values <= low)]
        bins = [expected[: low + 1].sum()]
        for k in range(low + 1, high):
            observed.append(np.sum(values == k))
            bins.append(expected[k])
        observed.append(np.sum(values >= high))
        bins.append(SAMPLES - sum(bins))
        observed = np.array(observed, dtype="float64")
        bins = np.array(bins)
        assert observed.sum() == SAMPLES
        assert bins.min() >= 20
        statistic = np.sum((observed - bins) ** 2 / bins)
        dof = len(bins) - 1
        # ~ the 1e-4 upper quantile of chi-square(dof), normal approximation.
        assert statistic < dof + 5.0 * math.sqrt(2.0 * dof)

    def test_zero_and_negative_rates_give_zero(self):
        rates = np.array([[0.0, -1.0, -500.0, 0.0]] * 1000, dtype="float32")
        counts = to_numpy(sample_poisson(rates, keras.random.SeedGenerator(1)))
        np.testing.assert_array_equal(counts, 0.0)

    def test_mixed_rates_in_one_tensor(self):
        # Small and large rates interleaved: each column has its own law.
        rates = np.tile(np.array([0.5, 40.0, 9.9, 10.0], "float32"), (20000, 1))
        counts = to_numpy(
            sample_poisson(rates, keras.random.SeedGenerator(3))
        ).astype("float64")
        for column, rate in enumerate(rates[0].astype("float64")):
            values = counts[:, column]
            assert abs(values.mean() - rate) < mean_tolerance(rate, 20000)
            assert abs(values.var(ddof=1) - rate) < variance_tolerance(
                rate, 20000
            )

    def test_dtype(self):
        generator = keras.random.SeedGenerator(4)
        rates = np.full((8,), 3.0, dtype="float64")
        result = sample_poisson(rates, generator)
        # float64 in, float64 out (JAX without x64 has no float64 tensors).
        expected = keras.backend.standardize_dtype(
            keras.ops.convert_to_tensor(rates).dtype
        )
        assert keras.backend.standardize_dtype(result.dtype) == expected
        result = sample_poisson(rates.astype("float16"), generator)
        assert keras.backend.standardize_dtype(result.dtype) == "float16"
        result = sample_poisson(rates, generator, dtype="float32")
        assert keras.backend.standardize_dtype(result.dtype) == "float32"


class TestPoissonNoise(CorruptionLayerChecks):
    @staticmethod
    def make_layer(**overrides):
        return PoissonNoise((5.0, 50.0), **overrides)

    @staticmethod
    def make_fixed_layer(**overrides):
        return PoissonNoise(30.0, **overrides)


class TestConstruction:
    def test_arguments_are_kept(self):
        assert PoissonNoise(30).peak == 30.0
        assert PoissonNoise([1, 100]).peak == (1.0, 100.0)

    @pytest.mark.parametrize(
        "peak, error, message",
        [
            (0.0, ValueError, r"`peak` must be in \(0.0, inf\). .*peak=0.0"),
            (-5, ValueError, r"Received: peak=-5.0"),
            ((0.0, 10.0), ValueError, r"bounds must be .*peak=\(0.0, 10.0\)"),
            ((50.0, 10.0), ValueError, r"min <= max"),
            (float("inf"), ValueError, r"peak=inf"),
            ("10", TypeError, r"Received: peak='10'"),
        ],
    )
    def test_invalid_peak(self, peak, error, message):
        with pytest.raises(error, match=message):
            PoissonNoise(peak)


class TestStatistics:
    def test_mean_and_variance(self):
        # Y = Poisson(x * peak) / peak: mean x, variance x / peak.
        level, peak = 0.4, 20.0
        n = 8 * 32 * 32
        x = np.full((8, 32, 32, 1), level, dtype="float32")
        layer = PoissonNoise(peak, value_range=None, seed=1)
        outputs = to_numpy(layer(x, training=True)).astype("float64")
        rate = level * peak
        assert abs(outputs.mean() - level) < mean_tolerance(rate, n) / peak
        assert abs(outputs.var(ddof=1) - level / peak) < (
            variance_tolerance(rate, n) / peak**2
        )
        # Counts are integers: the output is a multiple of 1 / peak.
        np.testing.assert_allclose(
            outputs * peak, np.round(outputs * peak), atol=1e-3
        )

    def test_negative_and_zero_pixels_give_zero(self):
        x = np.zeros((2, 8, 8, 1), dtype="float32")
        x[0] = -0.5
        outputs = to_numpy(
            PoissonNoise(10.0, value_range=None, seed=2)(x, training=True)
        )
        np.testing.assert_array_equal(outputs, 0.0)

    def test_range_is_drawn_per_sample(self):
        level = 0.5
        x = np.full((12, 32, 32, 1), level, dtype="float32")
        layer = PoissonNoise((10.0, 1000.0), value_range=None, seed=3)
        outputs = to_numpy(layer(x, training=True)).astype("float64")
        variances = outputs.var(axis=(1, 2, 3), ddof=1)
        # Per sample, variance = level / peak with peak in [10, 1000].
        assert np.all(variances < 1.5 * level / 10.0)
        assert np.all(variances > 0.5 * level / 1000.0)
        assert variances.max() / variances.min() > 5.0

    def test_channels_first_statistics_per_channel(self):
        # Channel c holds the level (c + 1) / 4: each keeps its own mean.
        levels = np.array([0.25, 0.5, 0.75], dtype="float32")
        x = np.broadcast_to(levels[None, :, None, None], (4, 3, 32, 32))
        layer = PoissonNoise(
            50.0, value_range=None, data_format="channels_first", seed=4
        )
        outputs = to_numpy(layer(x, training=True)).astype("float64")
        means = outputs.mean(axis=(0, 2, 3))
        n = 4 * 32 * 32
        for mean, level in zip(means, levels, strict=True):
            assert abs(mean - level) < mean_tolerance(level * 50, n) / 50

    def test_mixed_bfloat16_statistics(self):
        # Rate 50 per pixel (0.5 x peak 100), 65536 pixels; the counts are
        # computed in float32 and `count / peak` is rounded once to
        # bfloat16, whose spacing at 0.25..1 is at most 2**-8.
        keras.config.set_dtype_policy("mixed_bfloat16")
        level, peak = 0.5, 100.0
        layer = PoissonNoise(peak, value_range=None, seed=5)
        x = np.full((16, 64, 64, 1), level, dtype="float32")
        outputs = layer(keras.ops.cast(x, "bfloat16"), training=True)
        assert keras.backend.standardize_dtype(outputs.dtype) == "bfloat16"
        values = to_numpy(keras.ops.cast(outputs, "float32"))
        # Each output is exactly the bfloat16 rounding of an integer count
        # divided by the peak.
        counts = np.round(values.astype("float64") * peak)
        rounded = keras.ops.cast(
            keras.ops.cast((counts / peak).astype("float32"), "bfloat16"),
            "float32",
        )
        np.testing.assert_array_equal(values, to_numpy(rounded))
        # Rounding moves each value by at most half a spacing, 2**-9: the
        # mean by as much, the std by as much and the variance by at most
        # 2 * std * 2**-9 + 2**-18.
        n, rate = x.size, level * peak
        values = values.astype("float64")
        half_spacing = 2.0**-9
        assert abs(values.mean() - level) < (
            mean_tolerance(rate, n) / peak + half_spacing
        )
        std = math.sqrt(level / peak)
        assert abs(values.var(ddof=1) - level / peak) < (
            variance_tolerance(rate, n) / peak**2
            + 2 * std * half_spacing
            + half_spacing**2
        )
        # The counts themselves (no rounding) pass the float32 checks.
        assert abs(counts.mean() - rate) < mean_tolerance(rate, n)
        assert abs(counts.var(ddof=1) - rate) < variance_tolerance(rate, n)

    def test_mixed_float16_statistics(self):
        keras.config.set_dtype_policy("mixed_float16")
        layer = PoissonNoise(100.0, seed=5)
        x = images((4, 32, 32, 1), low=0.5, high=0.5).astype("float16")
        outputs = layer(x, training=True)
        assert keras.backend.standardize_dtype(outputs.dtype) == "float16"
        outputs = to_numpy(outputs).astype("float64")
        assert abs(outputs.mean() - 0.5) < 0.01
        assert abs(outputs.var() - 0.005) < 0.001
