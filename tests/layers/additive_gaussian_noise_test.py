import numpy as np
import pytest
from corruption_checks import CorruptionLayerChecks
from corruption_checks import mean_tolerance
from corruption_checks import std_tolerance
from corruption_checks import to_numpy

from keras_denoise.layers import AdditiveGaussianNoise


class TestAdditiveGaussianNoise(CorruptionLayerChecks):
    @staticmethod
    def make_layer(**overrides):
        return AdditiveGaussianNoise((0.05, 0.2), **overrides)

    @staticmethod
    def make_fixed_layer(**overrides):
        return AdditiveGaussianNoise(0.1, **overrides)


class TestConstruction:
    def test_fixed_and_range_severity(self):
        assert AdditiveGaussianNoise(0.1).stddev == 0.1
        assert AdditiveGaussianNoise([0.0, 0.3]).stddev == (0.0, 0.3)

    @pytest.mark.parametrize(
        "stddev, error, message",
        [
            (-0.1, ValueError, r"`stddev` must be in \[0.0, inf\)"),
            ((0.3, 0.1), ValueError, r"min <= max. Received: stddev=\(0.3"),
            ((-1.0, 0.1), ValueError, r"bounds must be .*stddev=\(-1.0"),
            ("big", TypeError, r"Received: stddev='big'"),
            ((0.1, 0.2, 0.3), TypeError, r"stddev=\(0.1, 0.2, 0.3\)"),
            (float("nan"), ValueError, r"stddev=nan"),
        ],
    )
    def test_invalid_stddev(self, stddev, error, message):
        with pytest.raises(error, match=message):
            AdditiveGaussianNoise(stddev)

    def test_invalid_common_arguments(self):
        with pytest.raises(ValueError, match=r"value_range=\(1.0, 0.0\)"):
            AdditiveGaussianNoise(0.1, value_range=(1.0, 0.0))
        with pytest.raises(ValueError, match=r"data_format='nhwc'"):
            AdditiveGaussianNoise(0.1, data_format="nhwc")
        with pytest.raises(ValueError, match=r"seed=-3"):
            AdditiveGaussianNoise(0.1, seed=-3)


class TestStatistics:
    def test_mean_and_std(self):
        n = 8 * 32 * 32
        x = np.full((8, 32, 32, 1), 0.5, dtype="float32")
        layer = AdditiveGaussianNoise(0.1, value_range=None, seed=1)
        noise = to_numpy(layer(x, training=True)) - x
        assert abs(noise.mean()) < mean_tolerance(0.1, n)
        assert abs(noise.std() - 0.1) < std_tolerance(0.1, n)

    def test_clipped_to_value_range(self):
        x = np.full((2, 16, 16, 1), 0.95, dtype="float32")
        outputs = to_numpy(AdditiveGaussianNoise(0.3, seed=1)(x, training=True))
        assert outputs.min() >= 0.0 and outputs.max() <= 1.0
        assert np.mean(outputs == 1.0) > 0.3

    @pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
    def test_range_is_drawn_per_sample(self, data_format):
        # 16 samples, 2 channels of 32 x 32: each sample has one stddev,
        # shared by its channels, inside the range.
        shape = (16, 32, 32, 2)
        if data_format == "channels_first":
            shape = (16, 2, 32, 32)
        channel_axis = -1 if data_format == "channels_last" else 1
        x = np.full(shape, 0.5, dtype="float32")
        layer = AdditiveGaussianNoise(
            (0.05, 0.2), value_range=None, data_format=data_format, seed=3
        )
        noise = to_numpy(layer(x, training=True)) - x
        per_channel = np.moveaxis(noise, channel_axis, 1).std(axis=(2, 3))
        per_sample = per_channel.mean(axis=1)
        tolerance = std_tolerance(0.2, 32 * 32)
        assert np.all(per_sample > 0.05 - tolerance)
        assert np.all(per_sample < 0.2 + tolerance)
        assert per_sample.max() - per_sample.min() > 0.05
        np.testing.assert_allclose(
            per_channel[:, 0], per_channel[:, 1], atol=2 * tolerance
        )

    def test_mixed_bfloat16_statistics(self):
        import keras

        # A constant 0.5 (exact in bfloat16), 65536 values. bfloat16 keeps
        # 8 significand bits: unit roundoff u = 2**-8.
        keras.config.set_dtype_policy("mixed_bfloat16")
        layer = AdditiveGaussianNoise(0.1, value_range=None, seed=1)
        x = np.full((16, 64, 64, 1), 0.5, dtype="float32")
        outputs = layer(keras.ops.cast(x, "bfloat16"), training=True)
        assert keras.backend.standardize_dtype(outputs.dtype) == "bfloat16"
        noise = to_numpy(keras.ops.cast(outputs, "float32")) - 0.5
        n, u = x.size, 2.0**-8
        # Mean: rounding the sums near 0.5 to bfloat16 can bias it by at
        # most half their spacing, 2**-9.
        assert abs(noise.mean()) < mean_tolerance(0.1, n) + 2.0**-9
        # Std: the noise, the stddev and their product are each rounded
        # (relative error <= u, 3u in all); rounding the sum adds at most
        # spacing**2 / 12 to the variance, under 3e-5 on the std.
        tolerance = std_tolerance(0.1, n) + 3 * u * 0.1 + 3e-5
        assert abs(noise.std() - 0.1) < tolerance
        # Not collapsed onto a few values: bfloat16 has 128 values per
        # octave, and the noise spans several octaves around 0.5.
        assert len(np.unique(noise)) > 100

    def test_mixed_float16_statistics(self):
        import keras

        keras.config.set_dtype_policy("mixed_float16")
        layer = AdditiveGaussianNoise(0.1, value_range=None, seed=1)
        x = np.full((4, 32, 32, 1), 0.5, dtype="float16")
        noise = to_numpy(layer(x, training=True)).astype("float32") - 0.5
        assert abs(noise.std() - 0.1) < std_tolerance(0.1, x.size) + 1e-3
