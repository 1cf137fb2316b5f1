import numpy as np
import pytest
from corruption_checks import CorruptionLayerChecks
from corruption_checks import images
from corruption_checks import to_numpy

from keras_denoise.layers import SaltAndPepperNoise


def binomial_tolerance(p, n, z=5.0):
    return z * np.sqrt(p * (1.0 - p) / n)


class TestSaltAndPepperNoise(CorruptionLayerChecks):
    @staticmethod
    def make_layer(**overrides):
        return SaltAndPepperNoise((0.1, 0.3), **overrides)


class TestConstruction:
    def test_arguments_are_kept(self):
        layer = SaltAndPepperNoise((0.0, 1.0), salt_ratio=1)
        assert layer.rate == (0.0, 1.0)
        assert layer.salt_ratio == 1.0

    @pytest.mark.parametrize(
        "kwargs, error, message",
        [
            ({"rate": 1.5}, ValueError, r"`rate` must be in \[0.0, 1.0\]"),
            ({"rate": -0.1}, ValueError, r"Received: rate=-0.1"),
            ({"rate": (0.2, 1.2)}, ValueError, r"rate=\(0.2, 1.2\)"),
            ({"rate": (0.5, 0.1)}, ValueError, r"min <= max"),
            ({"rate": "0.1"}, TypeError, r"Received: rate='0.1'"),
            (
                {"rate": 0.1, "salt_ratio": 1.5},
                ValueError,
                r"`salt_ratio` must be in \[0.0, 1.0\]. .*salt_ratio=1.5",
            ),
            (
                {"rate": 0.1, "salt_ratio": (0.1, 0.2)},
                TypeError,
                r"salt_ratio=\(0.1, 0.2\)",
            ),
        ],
    )
    def test_invalid_arguments(self, kwargs, error, message):
        with pytest.raises(error, match=message):
            SaltAndPepperNoise(**kwargs)


class TestStatistics:
    def corrupt(self, layer, shape=(4, 64, 64, 3)):
        x = np.full(shape, 0.5, dtype="float32")
        return x, to_numpy(layer(x, training=True))

    def test_fraction_changed_and_salt_balance(self):
        rate, salt_ratio = 0.2, 0.3
        layer = SaltAndPepperNoise(rate, salt_ratio=salt_ratio, seed=1)
        x, outputs = self.corrupt(layer)
        pixels = 4 * 64 * 64
        hit = outputs[..., 0] != 0.5
        assert abs(hit.mean() - rate) < binomial_tolerance(rate, pixels)
        salt = outputs[..., 0][hit] == 1.0
        assert np.all(outputs[..., 0][hit][~salt] == 0.0)
        assert abs(salt.mean() - salt_ratio) < binomial_tolerance(
            salt_ratio, hit.sum()
        )

    def test_all_channels_of_a_pixel_change_together(self):
        layer = SaltAndPepperNoise(0.3, seed=2)
        _, outputs = self.corrupt(layer, shape=(2, 16, 16, 3))
        np.testing.assert_array_equal(outputs[..., 0], outputs[..., 1])
        np.testing.assert_array_equal(outputs[..., 0], outputs[..., 2])

    def test_impulses_follow_value_range(self):
        layer = SaltAndPepperNoise(0.5, value_range=(-1.0, 2.0), seed=3)
        x, outputs = self.corrupt(layer, shape=(2, 16, 16, 1))
        assert set(np.unique(outputs)) == {-1.0, 0.5, 2.0}
        layer = SaltAndPepperNoise(0.5, value_range=None, seed=3)
        x, outputs = self.corrupt(layer, shape=(2, 16, 16, 1))
        assert set(np.unique(outputs)) == {0.0, 0.5, 1.0}

    def test_rate_zero_and_one(self):
        _, outputs = self.corrupt(SaltAndPepperNoise(0.0, seed=1))
        assert np.all(outputs == 0.5)
        _, outputs = self.corrupt(SaltAndPepperNoise(1.0, seed=1))
        assert np.all((outputs == 0.0) | (outputs == 1.0))

    def test_range_is_drawn_per_sample(self):
        layer = SaltAndPepperNoise((0.05, 0.5), seed=4)
        _, outputs = self.corrupt(layer, shape=(16, 32, 32, 1))
        fractions = (outputs != 0.5).mean(axis=(1, 2, 3))
        tolerance = binomial_tolerance(0.5, 32 * 32)
        assert np.all(fractions > 0.05 - tolerance)
        assert np.all(fractions < 0.5 + tolerance)
        assert fractions.max() - fractions.min() > 0.15

    def test_channels_first_equals_transposed_channels_last(self):
        x = images((2, 8, 8, 3))
        last = SaltAndPepperNoise(
            (0.1, 0.4), data_format="channels_last", seed=6
        )(x, training=True)
        first = SaltAndPepperNoise(
            (0.1, 0.4), data_format="channels_first", seed=6
        )(np.transpose(x, (0, 3, 1, 2)), training=True)
        np.testing.assert_array_equal(
            to_numpy(first), np.transpose(to_numpy(last), (0, 3, 1, 2))
        )
