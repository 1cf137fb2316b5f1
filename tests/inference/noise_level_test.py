import keras
import numpy as np
import pytest

from keras_denoise import inference
from keras_denoise import models


@pytest.fixture(scope="module")
def flexible():
    keras.utils.set_random_seed(0)
    return models.unet_denoiser(filters=(8, 16), noise_level_input=True)


class TestConstantNoiseLevel:
    def test_fills_one_channel_with_the_level(self):
        images = np.zeros((2, 5, 7, 3), "float32")
        level = keras.ops.convert_to_numpy(
            inference.ConstantNoiseLevel(0.25)(images)
        )
        assert level.shape == (2, 5, 7, 1)
        assert level.dtype == np.float32
        np.testing.assert_array_equal(level, np.full((2, 5, 7, 1), 0.25))

    def test_follows_the_images_dtype(self):
        images = np.zeros((1, 4, 4, 1), "float16")
        level = inference.ConstantNoiseLevel(0.5, dtype="float16")(images)
        assert keras.backend.standardize_dtype(level.dtype) == "float16"

    @pytest.mark.parametrize("value", [-0.1, float("inf"), float("nan")])
    def test_rejects_a_level_out_of_range(self, value):
        with pytest.raises(ValueError, match="noise_level="):
            inference.ConstantNoiseLevel(value)

    @pytest.mark.parametrize("value", ["0.1", True, None])
    def test_rejects_a_level_that_is_no_number(self, value):
        with pytest.raises(TypeError, match="noise_level="):
            inference.ConstantNoiseLevel(value)

    def test_config_round_trip(self):
        layer = inference.ConstantNoiseLevel(0.3, name="map")
        clone = inference.ConstantNoiseLevel.from_config(layer.get_config())
        assert clone.noise_level == 0.3 and clone.name == "map"


class TestWithNoiseLevel:
    def test_matches_the_model_given_a_constant_map(self, flexible, rng):
        images = rng.random((2, 24, 20, 1)).astype("float32")
        level = np.full((2, 24, 20, 1), 25 / 255, "float32")
        wrapped = inference.with_noise_level(flexible, 25 / 255)
        assert len(wrapped.inputs) == 1
        np.testing.assert_allclose(
            wrapped.predict(images, verbose=0),
            flexible.predict([images, level], verbose=0),
            atol=1e-6,
        )

    def test_the_level_changes_the_result(self, flexible, rng):
        images = rng.random((1, 16, 16, 1)).astype("float32")
        low = inference.with_noise_level(flexible, 5 / 255)
        high = inference.with_noise_level(flexible, 50 / 255)
        difference = np.abs(
            low.predict(images, verbose=0) - high.predict(images, verbose=0)
        )
        assert difference.max() > 1e-4

    def test_shares_the_weights(self, flexible):
        wrapped = inference.with_noise_level(flexible, 0.1)
        assert {id(w) for w in wrapped.weights} == {
            id(w) for w in flexible.weights
        }

    def test_keras_file_round_trip(self, flexible, rng, tmp_path):
        wrapped = inference.with_noise_level(flexible, 15 / 255)
        path = tmp_path / "at_15.keras"
        wrapped.save(path)
        loaded = keras.saving.load_model(path)
        images = rng.random((1, 12, 12, 1)).astype("float32")
        np.testing.assert_array_equal(
            loaded.predict(images, verbose=0),
            wrapped.predict(images, verbose=0),
        )

    def test_runs_in_tiles(self, flexible, rng):
        wrapped = inference.with_noise_level(flexible, 25 / 255)
        image = rng.random((40, 36, 1)).astype("float32")
        tiled = inference.predict_tiled(
            wrapped, image, tile_size=32, overlap=16
        )
        assert tiled.shape == image.shape

    def test_rejects_a_blind_model(self):
        blind = models.residual_denoiser(channels=1, depth=2, filters=4)
        with pytest.raises(ValueError, match=r"\[\(None, None, None, 1\)\]"):
            inference.with_noise_level(blind, 0.1)

    def test_rejects_what_is_no_model(self):
        with pytest.raises(TypeError, match="model="):
            inference.with_noise_level("model.keras", 0.1)

    def test_rejects_a_bad_level_before_building(self, flexible):
        with pytest.raises(ValueError, match="noise_level=-1"):
            inference.with_noise_level(flexible, -1)
