import numpy as np
import pytest
from corruption_checks import CorruptionLayerChecks
from corruption_checks import mean_tolerance
from corruption_checks import std_tolerance
from corruption_checks import to_numpy

from keras_denoise.layers import SpeckleNoise


class TestSpeckleNoise(CorruptionLayerChecks):
    @staticmethod
    def make_layer(**overrides):
        return SpeckleNoise((0.05, 0.2), **overrides)

    @staticmethod
    def make_fixed_layer(**overrides):
        return SpeckleNoise(0.2, **overrides)


class TestConstruction:
    def test_arguments_are_kept(self):
        layer = SpeckleNoise([0.1, 0.2], value_range=None, seed=4)
        assert layer.stddev == (0.1, 0.2)
        assert layer.value_range is None
        assert layer.seed == 4

    @pytest.mark.parametrize(
        "stddev, error, message",
        [
            (-0.5, ValueError, r"`stddev` must be in \[0.0, inf\)"),
            ((0.2, 0.1), ValueError, r"min <= max. Received: stddev=\(0.2"),
            (None, TypeError, r"Received: stddev=None"),
            (True, TypeError, r"Received: stddev=True"),
        ],
    )
    def test_invalid_stddev(self, stddev, error, message):
        with pytest.raises(error, match=message):
            SpeckleNoise(stddev)


class TestStatistics:
    @pytest.mark.parametrize("level", [0.2, 0.8])
    def test_noise_is_proportional_to_the_signal(self, level):
        n = 4 * 32 * 32
        x = np.full((4, 32, 32, 1), level, dtype="float32")
        layer = SpeckleNoise(0.1, value_range=None, seed=2)
        noise = to_numpy(layer(x, training=True)) - x
        # noise = x * N(0, 0.1): mean 0, std 0.1 * x.
        assert abs(noise.mean()) < mean_tolerance(0.1 * level, n)
        assert abs(noise.std() - 0.1 * level) < std_tolerance(0.1 * level, n)

    def test_zero_pixels_stay_zero(self):
        x = np.zeros((2, 8, 8, 3), dtype="float32")
        x[:, 2:4] = 0.6
        outputs = to_numpy(SpeckleNoise(0.5, seed=1)(x, training=True))
        np.testing.assert_array_equal(outputs[x == 0], 0.0)
        assert not np.array_equal(outputs[x > 0], x[x > 0])

    @pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
    def test_range_is_drawn_per_sample(self, data_format):
        shape = (12, 32, 32, 1)
        if data_format == "channels_first":
            shape = (12, 1, 32, 32)
        x = np.full(shape, 0.5, dtype="float32")
        layer = SpeckleNoise(
            (0.05, 0.3), value_range=None, data_format=data_format, seed=5
        )
        relative = (to_numpy(layer(x, training=True)) - x) / x
        per_sample = relative.std(axis=(1, 2, 3))
        tolerance = std_tolerance(0.3, 32 * 32)
        assert np.all(per_sample > 0.05 - tolerance)
        assert np.all(per_sample < 0.3 + tolerance)
        assert per_sample.max() - per_sample.min() > 0.1
