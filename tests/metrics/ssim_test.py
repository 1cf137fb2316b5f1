import keras
import numpy as np
import pytest
from skimage import data
from skimage.metrics import structural_similarity

from keras_denoise.metrics import SSIM
from keras_denoise.metrics import ssim


def skimage_ssim(a, b, max_val=1.0):
    return structural_similarity(
        a,
        b,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=max_val,
        channel_axis=-1,
    )


def natural(name, size=48):
    image = getattr(data, name)()[64 : 64 + size, 64 : 64 + size]
    image = image.astype("float32") / 255.0
    return image[..., None] if image.ndim == 2 else image


def degrade(rng, image, stddev):
    noisy = np.clip(image + rng.normal(0, stddev, image.shape), 0, 1)
    return noisy.astype("float32")


class TestFunction:
    @pytest.mark.parametrize(
        "name", ["camera", "moon", "coins", "astronaut", "coffee", "chelsea"]
    )
    @pytest.mark.parametrize("stddev", [0.02, 0.2])
    def test_matches_skimage_on_natural_images(self, rng, name, stddev):
        image = natural(name)
        noisy = degrade(rng, image, stddev)
        value = float(keras.ops.convert_to_numpy(ssim(image, noisy)))
        assert abs(value - skimage_ssim(image, noisy)) < 0.01

    @pytest.mark.parametrize("channels", [1, 3])
    def test_matches_skimage_on_random_batches(self, rng, channels):
        clean = rng.uniform(size=(3, 20, 24, channels)).astype("float32")
        noisy = degrade(rng, clean, 0.1)
        values = keras.ops.convert_to_numpy(ssim(clean, noisy))
        expected = [
            skimage_ssim(a, b) for a, b in zip(clean, noisy, strict=True)
        ]
        assert values.shape == (3,)
        np.testing.assert_allclose(values, expected, atol=0.01)

    def test_max_val_255(self, rng):
        image = natural("camera")
        noisy = degrade(rng, image, 0.1)
        value = ssim(image * 255, noisy * 255, max_val=255.0)
        np.testing.assert_allclose(
            float(keras.ops.convert_to_numpy(value)),
            skimage_ssim(image * 255, noisy * 255, 255.0),
            atol=0.01,
        )

    def test_identical_images_give_one(self, rng):
        clean = rng.uniform(size=(2, 16, 16, 3)).astype("float32")
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(ssim(clean, clean)), 1.0, atol=1e-5
        )

    def test_worse_image_scores_lower(self, rng):
        image = natural("camera")
        slight = ssim(image, degrade(rng, image, 0.02))
        heavy = ssim(image, degrade(rng, image, 0.3))
        assert float(heavy) < float(slight) < 1.0

    def test_channels_first(self, rng):
        clean = rng.uniform(size=(2, 16, 16, 3)).astype("float32")
        noisy = degrade(rng, clean, 0.1)
        last = ssim(clean, noisy, data_format="channels_last")
        first = ssim(
            clean.transpose(0, 3, 1, 2),
            noisy.transpose(0, 3, 1, 2),
            data_format="channels_first",
        )
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(first),
            keras.ops.convert_to_numpy(last),
            rtol=1e-5,
        )

    def test_rank_3_gives_a_scalar(self, rng):
        image = natural("moon", size=16)
        value = ssim(image, degrade(rng, image, 0.1))
        assert tuple(value.shape) == ()

    @pytest.mark.parametrize(
        "height, width, window", [(8, 16, 7), (10, 12, 9), (5, 5, 5), (3, 4, 3)]
    )
    def test_small_images_shrink_the_window(self, rng, height, width, window):
        clean = rng.random((2, height, width, 3)).astype("float32")
        noisy = degrade(rng, clean, 0.1)
        values = keras.ops.convert_to_numpy(ssim(clean, noisy))
        # scikit-image with the same window: size `window`, sigma scaled.
        expected = [
            structural_similarity(
                a,
                b,
                win_size=window,
                gaussian_weights=True,
                sigma=1.5 * window / 11,
                use_sample_covariance=False,
                data_range=1.0,
                channel_axis=-1,
            )
            for a, b in zip(clean, noisy, strict=True)
        ]
        np.testing.assert_allclose(values, expected, atol=1e-5)
        assert np.all(values < 0.99)

    def test_rejects_mismatched_shapes(self):
        with pytest.raises(ValueError, match="must have the same shape"):
            ssim(np.zeros((1, 16, 16, 1), "float32"), np.zeros((1, 16, 16, 3)))

    def test_rejects_integer_images(self):
        images = np.zeros((1, 16, 16, 1), "uint8")
        with pytest.raises(TypeError, match="`y_pred` must be a floating"):
            ssim(images.astype("float32"), images)

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"filter_size": 10}, "filter_size=10"),
            ({"filter_sigma": 0.0}, "filter_sigma=0.0"),
            ({"k1": -0.01}, "k1=-0.01"),
            ({"data_format": "nhwc"}, "data_format='nhwc'"),
        ],
    )
    def test_rejects_bad_arguments(self, kwargs, match):
        images = np.zeros((1, 16, 16, 1), "float32")
        with pytest.raises(ValueError, match=match):
            ssim(images, images, **kwargs)


class TestMetric:
    def test_mean_over_images_seen(self, rng):
        metric = SSIM()
        a = rng.uniform(size=(2, 16, 16, 1)).astype("float32")
        b = rng.uniform(size=(1, 16, 16, 1)).astype("float32")
        noisy_a, noisy_b = degrade(rng, a, 0.1), degrade(rng, b, 0.3)
        metric.update_state(a, noisy_a)
        metric.update_state(b, noisy_b)
        expected = np.concatenate(
            [
                keras.ops.convert_to_numpy(ssim(a, noisy_a)),
                keras.ops.convert_to_numpy(ssim(b, noisy_b)),
            ]
        ).mean()
        np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-5)

    def test_config_round_trip(self):
        metric = SSIM(max_val=255.0, filter_size=7, filter_sigma=1.0, name="s")
        restored = SSIM.from_config(metric.get_config())
        assert restored.get_config() == metric.get_config()
        restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
        assert isinstance(restored, SSIM) and restored.filter_size == 7

    def test_rejects_bad_arguments(self):
        with pytest.raises(ValueError, match="`filter_size` must be"):
            SSIM(filter_size=0)

    @pytest.mark.slow
    def test_compile_fit_and_keras_round_trip(self, rng, tmp_path):
        clean = rng.uniform(size=(8, 16, 16, 1)).astype("float32")
        noisy = degrade(rng, clean, 0.1)
        model = keras.Sequential(
            [
                keras.Input((16, 16, 1)),
                keras.layers.Conv2D(1, 3, padding="same"),
            ]
        )
        model.compile(optimizer="adam", loss="mse", metrics=[SSIM()])
        history = model.fit(noisy, clean, epochs=1, verbose=0).history
        assert np.isfinite(history["ssim"][0])
        logs = model.evaluate(noisy, clean, verbose=0, return_dict=True)
        predictions = model.predict(noisy, verbose=0)
        expected = np.mean(
            [
                skimage_ssim(a, b)
                for a, b in zip(clean, predictions, strict=True)
            ]
        )
        assert abs(logs["ssim"] - expected) < 0.01
        path = tmp_path / "model.keras"
        model.save(path)
        loaded = keras.models.load_model(path)
        loaded_logs = loaded.evaluate(noisy, clean, verbose=0, return_dict=True)
        np.testing.assert_allclose(loaded_logs["ssim"], logs["ssim"], rtol=1e-5)
