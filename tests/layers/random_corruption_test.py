import keras
import numpy as np
import pytest
from corruption_checks import CorruptionLayerChecks
from corruption_checks import assert_config_round_trip
from corruption_checks import images
from corruption_checks import to_numpy

from keras_denoise.layers import AdditiveGaussianNoise
from keras_denoise.layers import GaussianBlur
from keras_denoise.layers import RandomCorruption
from keras_denoise.layers import SaltAndPepperNoise
from keras_denoise.layers import SpeckleNoise


def salt_and_pepper_pair():
    """Two corruptions recognisable in the output: all-salt, all-pepper."""
    return [
        SaltAndPepperNoise(1.0, salt_ratio=1.0, seed=1),
        SaltAndPepperNoise(1.0, salt_ratio=0.0, seed=2),
    ]


class TestRandomCorruption(CorruptionLayerChecks):
    @staticmethod
    def make_layer(**overrides):
        return RandomCorruption(
            [
                AdditiveGaussianNoise(0.1, seed=1),
                GaussianBlur((0.5, 1.0), seed=2),
                SaltAndPepperNoise(0.2, seed=3),
            ],
            probabilities=[1.0, 2.0, 1.0],
            clean_probability=0.2,
            **overrides,
        )


class TestConstruction:
    def test_defaults(self):
        layer = RandomCorruption(salt_and_pepper_pair())
        assert layer.probabilities is None
        assert layer.value_range is None
        assert layer.selection_probabilities == [0.5, 0.5, 0.0]

    def test_probabilities_are_normalised(self):
        layer = RandomCorruption(
            salt_and_pepper_pair(), probabilities=[1, 3], clean_probability=0.2
        )
        np.testing.assert_allclose(
            layer.selection_probabilities, [0.2, 0.6, 0.2]
        )

    @pytest.mark.parametrize(
        "kwargs, error, message",
        [
            (
                {"corruptions": []},
                ValueError,
                r"at least one.*corruptions=\[\]",
            ),
            (
                {"corruptions": GaussianBlur(1.0)},
                TypeError,
                r"must be a list of corruption layers",
            ),
            (
                {"corruptions": [keras.layers.GaussianNoise(0.1)]},
                TypeError,
                r"subclasses of `BaseCorruption`.*GaussianNoise",
            ),
            (
                {"probabilities": [1.0]},
                ValueError,
                r"one entry per corruption \(2\). .*probabilities=\[1.0\]",
            ),
            (
                {"probabilities": [1.0, -0.5]},
                ValueError,
                r"non-negative. Received: probabilities=\[1.0, -0.5\]",
            ),
            (
                {"probabilities": [0.0, 0.0]},
                ValueError,
                r"positive sum. Received: probabilities=\[0.0, 0.0\]",
            ),
            (
                {"probabilities": "even"},
                TypeError,
                r"Received: probabilities='even'",
            ),
            (
                {"clean_probability": 1.5},
                ValueError,
                r"`clean_probability` must be in \[0.0, 1.0\]. .*=1.5",
            ),
        ],
    )
    def test_invalid_arguments(self, kwargs, error, message):
        kwargs.setdefault("corruptions", salt_and_pepper_pair())
        with pytest.raises(error, match=message):
            RandomCorruption(**kwargs)

    def test_data_format_must_match(self):
        with pytest.raises(ValueError, match=r"data_format='channels_first'"):
            RandomCorruption(
                [GaussianBlur(1.0, data_format="channels_first")],
                data_format="channels_last",
            )

    def test_nested_config_round_trip(self):
        layer = RandomCorruption(
            [
                SpeckleNoise((0.1, 0.2), seed=4),
                GaussianBlur(1.0, kernel_size=5),
            ],
            probabilities=[2.0, 1.0],
            clean_probability=0.1,
            seed=9,
        )
        restored = assert_config_round_trip(layer)
        assert [type(c) for c in restored.corruptions] == [
            SpeckleNoise,
            GaussianBlur,
        ]
        assert restored.corruptions[0].stddev == (0.1, 0.2)
        assert restored.corruptions[0].seed == 4
        assert restored.corruptions[1].kernel_size == 5

    def test_sub_layer_seed_generators_are_tracked(self):
        layer = RandomCorruption(salt_and_pepper_pair(), seed=1)
        tracked = {id(v) for v in layer.non_trainable_variables}
        for corruption in layer.corruptions:
            assert id(corruption.seed_generator.state) in tracked
        assert id(layer.seed_generator.state) in tracked


class TestSelection:
    def choices(self, layer, samples=3000):
        """0: first corruption (salt), 1: second (pepper), 2: clean."""
        x = np.full((samples, 2, 2, 1), 0.5, dtype="float32")
        outputs = to_numpy(layer(x, training=True))
        # Each sample is corrupted as a whole by one corruption.
        np.testing.assert_array_equal(
            outputs, np.broadcast_to(outputs[:, :1, :1], outputs.shape)
        )
        codes = {1.0: 0, 0.0: 1, 0.5: 2}
        return np.array([codes[float(v)] for v in outputs[:, 0, 0, 0]])

    def test_mixture_proportions(self):
        samples = 3000
        layer = RandomCorruption(
            salt_and_pepper_pair(),
            probabilities=[1.0, 3.0],
            clean_probability=0.2,
            seed=5,
        )
        counts = np.bincount(self.choices(layer, samples), minlength=3)
        expected = samples * np.array([0.2, 0.6, 0.2])
        statistic = np.sum((counts - expected) ** 2 / expected)
        # The 1e-4 upper quantile of chi-square with 2 degrees of freedom.
        assert statistic < 18.4

    def test_zero_probability_is_never_chosen(self):
        layer = RandomCorruption(
            salt_and_pepper_pair(), probabilities=[0.0, 1.0], seed=6
        )
        choices = self.choices(layer, 500)
        assert set(choices.tolist()) == {1}

    def test_clean_probability_one_is_the_identity(self):
        x = images()
        layer = RandomCorruption(
            salt_and_pepper_pair(), clean_probability=1.0, seed=7
        )
        np.testing.assert_array_equal(to_numpy(layer(x, training=True)), x)

    def test_each_corruption_keeps_its_own_clipping(self):
        layer = RandomCorruption(
            [AdditiveGaussianNoise(1.0, value_range=(-0.5, 2.0), seed=1)],
            seed=8,
        )
        outputs = to_numpy(layer(images((4, 16, 16, 1)), training=True))
        assert outputs.min() == -0.5 and outputs.max() == 2.0

    def test_channels_first(self):
        layer = RandomCorruption(
            [
                SaltAndPepperNoise(
                    1.0, salt_ratio=1.0, data_format="channels_first", seed=1
                )
            ],
            clean_probability=0.5,
            data_format="channels_first",
            seed=2,
        )
        x = np.full((200, 3, 2, 2), 0.5, dtype="float32")
        outputs = to_numpy(layer(x, training=True))
        per_sample = outputs.reshape(200, -1)
        assert np.all(per_sample.min(axis=1) == per_sample.max(axis=1))
        assert 0.3 < np.mean(per_sample[:, 0] == 1.0) < 0.7


class TestOneSumForAdditiveCorruptions:
    """Gaussian, speckle and salt-and-pepper are summed and clipped once."""

    @staticmethod
    def corruptions():
        return [
            AdditiveGaussianNoise((0.05, 0.3), seed=1),
            SpeckleNoise(0.2, seed=2),
            SaltAndPepperNoise((0.1, 0.3), seed=3),
            SaltAndPepperNoise(0.2, value_range=None, seed=4),
            GaussianBlur(1.0, seed=5),
        ]

    @pytest.mark.parametrize("chosen", range(5))
    def test_each_sample_gets_its_corruption_alone_output(self, chosen):
        # Out-of-range inputs too: each corruption clips them itself.
        x = images((4, 8, 8, 3), low=-0.2, high=1.2)
        probabilities = [0.0] * 5
        probabilities[chosen] = 1.0
        layer = RandomCorruption(
            self.corruptions(), probabilities=probabilities, seed=6
        )
        alone = self.corruptions()[chosen]
        np.testing.assert_array_equal(
            to_numpy(layer(x, training=True)),
            to_numpy(alone(x, training=True)),
        )

    def test_mixed_batch_matches_the_corruptions_alone(self):
        x = images((64, 4, 4, 3), low=-0.2, high=1.2)
        outputs = to_numpy(
            RandomCorruption(
                self.corruptions()[:3], clean_probability=0.25, seed=7
            )(x, training=True)
        )
        changed = np.any(outputs != x, axis=(1, 2, 3))
        # Clean samples are returned as they are, unclipped.
        assert 5 < np.sum(~changed) < 30
        assert np.all((outputs[changed] >= 0.0) & (outputs[changed] <= 1.0))


def blur_then_noise(seed=3):
    return keras.Sequential(
        [GaussianBlur(1.0), AdditiveGaussianNoise(0.1, seed=seed)],
        name="blur_then_noise",
    )


class TestChains:
    def test_a_chain_applies_its_layers_in_order(self):
        x = images(seed=5, shape=(6, 8, 8, 1))
        layer = RandomCorruption([blur_then_noise()])
        expected = blur_then_noise()(x, training=True)
        np.testing.assert_allclose(
            to_numpy(layer(x, training=True)), to_numpy(expected), atol=1e-6
        )

    def test_chain_beside_single_corruptions(self):
        # All-salt, all-pepper, or blurred then salted: a blur of a
        # constant image changes nothing, the salt then sets every pixel.
        x = np.full((3000, 4, 4, 1), 0.5, dtype="float32")
        chain = keras.Sequential(
            [GaussianBlur(1.0), SaltAndPepperNoise(1.0, salt_ratio=1.0)]
        )
        layer = RandomCorruption(
            [SaltAndPepperNoise(1.0, salt_ratio=0.0, seed=2), chain],
            clean_probability=0.5,
            seed=4,
        )
        values = to_numpy(layer(x, training=True))[:, 0, 0, 0]
        assert set(np.unique(values)) == {0.0, 0.5, 1.0}
        # Each of the two candidates takes a quarter of the samples.
        for value, share in ((0.0, 0.25), (1.0, 0.25), (0.5, 0.5)):
            se = np.sqrt(share * (1 - share) / len(values))
            assert abs(np.mean(values == value) - share) < 4 * se

    def test_config_and_keras_round_trip(self, tmp_path):
        layer = RandomCorruption(
            [blur_then_noise(), SpeckleNoise(0.2, seed=4)], seed=9
        )
        restored = assert_config_round_trip(layer)
        chain = restored.corruptions[0]
        assert isinstance(chain, keras.Sequential)
        assert [type(c) for c in chain.layers] == [
            GaussianBlur,
            AdditiveGaussianNoise,
        ]
        assert chain.layers[1].seed == 3
        inputs = keras.Input((8, 8, 1))
        model = keras.Model(inputs, layer(inputs))
        model.save(tmp_path / "model.keras")
        loaded = keras.saving.load_model(tmp_path / "model.keras")
        x = images(seed=6, shape=(4, 8, 8, 1))
        np.testing.assert_array_equal(
            to_numpy(loaded(x, training=True)),
            to_numpy(model(x, training=True)),
        )

    @pytest.mark.parametrize(
        "chain, error",
        [
            (keras.Sequential([keras.layers.Dense(2)]), TypeError),
            (keras.Sequential([], name="empty"), ValueError),
        ],
        ids=["foreign_layer", "empty"],
    )
    def test_rejects_bad_chains(self, chain, error):
        with pytest.raises(error, match="corruption"):
            RandomCorruption([chain])
