import keras
import numpy as np
import pytest
from corruption_checks import assert_config_round_trip
from corruption_checks import to_numpy

from keras_denoise._validation import validate_number
from keras_denoise._validation import validate_severity
from keras_denoise.layers import BaseCorruption
from keras_denoise.layers._random import draw_per_sample


class Brighten(BaseCorruption):
    """A deterministic corruption: adds 0.5 to every value."""

    def corrupt_batch(self, images):
        assert len(images.shape) == 4
        return images + 0.5


class TestBaseCorruption:
    def test_identity_unless_training(self):
        x = np.full((2, 4, 4, 1), 0.25, dtype="float32")
        layer = Brighten()
        np.testing.assert_array_equal(to_numpy(layer(x)), x)
        np.testing.assert_array_equal(to_numpy(layer(x, training=True)), 0.75)

    def test_clips_to_value_range(self):
        x = np.full((2, 4, 4, 1), 0.75, dtype="float32")
        np.testing.assert_array_equal(
            to_numpy(Brighten()(x, training=True)), 1.0
        )
        np.testing.assert_array_equal(
            to_numpy(Brighten(value_range=(0.0, 1.1))(x, training=True)),
            np.float32(1.1),
        )
        np.testing.assert_array_equal(
            to_numpy(Brighten(value_range=None)(x, training=True)), 1.25
        )

    def test_corrupt_ignores_training_and_casts(self):
        x = np.full((4, 4, 3), 0.25, dtype="float64")
        outputs = Brighten().corrupt(x)
        assert keras.backend.standardize_dtype(outputs.dtype) == "float32"
        assert tuple(outputs.shape) == (4, 4, 3)
        np.testing.assert_array_equal(to_numpy(outputs), 0.75)

    def test_rank3_input_keeps_its_shape(self):
        x = np.zeros((5, 6, 2), dtype="float32")
        outputs = Brighten()(x, training=True)
        assert tuple(outputs.shape) == (5, 6, 2)

    def test_subclass_must_implement_corrupt_batch(self):
        with pytest.raises(NotImplementedError, match="corrupt_batch"):
            BaseCorruption()(np.zeros((1, 2, 2, 1), "float32"), training=True)

    def test_config_round_trip(self):
        layer = Brighten(value_range=[-1, 1], data_format="channels_first")
        restored = assert_config_round_trip(layer)
        assert restored.value_range == (-1.0, 1.0)
        assert restored.data_format == "channels_first"

    def test_data_format_defaults_to_keras_setting(self):
        keras.config.set_image_data_format("channels_first")
        try:
            assert Brighten().data_format == "channels_first"
        finally:
            keras.config.set_image_data_format("channels_last")
        assert Brighten().data_format == "channels_last"

    @pytest.mark.parametrize(
        "kwargs, error, message",
        [
            ({"value_range": (1, 0)}, ValueError, r"value_range=\(1, 0\)"),
            ({"value_range": 1.0}, TypeError, r"Received: value_range=1.0"),
            ({"data_format": "NHWC"}, ValueError, r"data_format='NHWC'"),
            ({"seed": 1.5}, TypeError, r"Received: seed=1.5"),
            ({"seed": -1}, ValueError, r"Received: seed=-1"),
        ],
    )
    def test_invalid_arguments(self, kwargs, error, message):
        with pytest.raises(error, match=message):
            Brighten(**kwargs)

    def test_symbolic_inputs_are_checked_when_the_model_is_built(self):
        # Functional models are built through `compute_output_spec`, not
        # `call`: the checks must run there too.
        with pytest.raises(ValueError, match=r"inputs.shape=\(None, 16\)"):
            Brighten()(keras.Input((16,)))
        with pytest.raises(TypeError, match=r"inputs.dtype=int32"):
            inputs = keras.Input((8, 8, 1), dtype="int32")
            keras.Sequential([inputs, Brighten()])
        output = Brighten()(keras.Input((8, 8, 1)))
        assert tuple(output.shape) == (None, 8, 8, 1)
        assert output.dtype == "float32"

    def test_symbolic_output_has_the_compute_dtype(self):
        keras.config.set_dtype_policy("mixed_float16")
        output = Brighten()(keras.Input((8, 8, 1)))
        assert output.dtype == "float16"

    def test_rejects_integer_images_and_wrong_ranks(self):
        with pytest.raises(TypeError, match=r"images.dtype=uint8"):
            Brighten().corrupt(np.zeros((2, 2, 1), dtype="uint8"))
        with pytest.raises(ValueError, match=r"inputs.shape=\(1, 2, 2, 2, 1\)"):
            Brighten()(np.zeros((1, 2, 2, 2, 1), "float32"), training=True)


class TestValidationHelpers:
    def test_severity_exclusive_minimum(self):
        assert validate_severity("peak", 1e-3, min_inclusive=False) == 1e-3
        with pytest.raises(ValueError, match=r"in \(0.0, inf\). .*peak=0.0"):
            validate_severity("peak", 0, min_inclusive=False)

    def test_severity_upper_bound_and_non_finite(self):
        assert validate_severity("rate", (0, 1), 0.0, 1.0) == (0.0, 1.0)
        with pytest.raises(ValueError, match=r"\[0.0, 1.0\]. .*rate=1.01"):
            validate_severity("rate", 1.01, 0.0, 1.0)
        with pytest.raises(ValueError, match=r"rate=\(0.0, inf\)"):
            validate_severity("rate", (0.0, float("inf")))

    def test_number(self):
        assert validate_number("ratio", 1, 0.0, 1.0) == 1.0
        with pytest.raises(TypeError, match=r"ratio=\[0.5\]"):
            validate_number("ratio", [0.5])
        with pytest.raises(ValueError, match=r"ratio=-0.1"):
            validate_number("ratio", -0.1)

    def test_draw_per_sample(self):
        generator = keras.random.SeedGenerator(1)
        assert draw_per_sample(0.3, 8, generator, "float32") == 0.3
        assert draw_per_sample((0.2, 0.2), 8, generator, "float32") == 0.2
        drawn = to_numpy(draw_per_sample((0.1, 0.4), 64, generator, "float32"))
        assert drawn.shape == (64, 1, 1, 1)
        assert drawn.min() >= 0.1 and drawn.max() <= 0.4
        # Uniform on [0.1, 0.4]: 64 draws spread over most of the range.
        assert drawn.max() - drawn.min() > 0.2
