import numpy as np
import pytest

from keras_denoise import evaluation


def _smooth(rng, shape):
    """A smooth image: a gentle ramp plus a low-frequency wave."""
    height, width = shape
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    return (0.3 + 0.4 * x + 0.1 * np.sin(6 * y)).astype("float32")


class TestEstimateNoiseSigma:
    @pytest.mark.parametrize("sigma", [0.02, 0.1, 0.2])
    def test_recovers_the_sigma_of_gaussian_noise(self, rng, sigma):
        clean = _smooth(rng, (256, 256))
        noisy = clean + rng.normal(0, sigma, clean.shape)
        # 254^2 responses: the estimate's spread is well under 3 %.
        assert evaluation.estimate_noise_sigma(noisy) == pytest.approx(
            sigma, rel=0.05
        )

    def test_colour_is_the_mean_of_the_channels(self, rng):
        image = rng.random((20, 30, 3)).astype("float32")
        per_channel = [
            evaluation.estimate_noise_sigma(image[..., c]) for c in range(3)
        ]
        assert evaluation.estimate_noise_sigma(image) == pytest.approx(
            np.mean(per_channel)
        )

    def test_errors(self):
        with pytest.raises(TypeError, match="image.dtype=uint8"):
            evaluation.estimate_noise_sigma(np.zeros((8, 8), "uint8"))
        with pytest.raises(ValueError, match=r"image.shape=\(2, 8\)"):
            evaluation.estimate_noise_sigma(np.zeros((2, 8)))


@pytest.mark.parametrize(
    "denoiser", [evaluation.denoise_tv, evaluation.denoise_nl_means]
)
class TestBlindDenoisers:
    def test_gains_psnr_at_two_noise_levels(self, rng, denoiser):
        clean = np.stack([_smooth(rng, (48, 40))[..., None]] * 2)
        for sigma in (0.05, 0.15):
            noisy = (clean + rng.normal(0, sigma, clean.shape)).astype(
                "float32"
            )
            restored = denoiser(noisy)
            assert restored.shape == clean.shape
            assert restored.dtype == np.float32
            before = evaluation.image_metrics(clean, noisy)["psnr"]
            after = evaluation.image_metrics(clean, restored)["psnr"]
            # Both filters remove most of the noise of a smooth image.
            assert after > before + 3

    def test_colour_batch(self, rng, denoiser):
        images = rng.random((2, 16, 12, 3)).astype("float32")
        assert denoiser(images).shape == images.shape

    def test_errors(self, denoiser):
        with pytest.raises(TypeError, match="images.dtype=uint8"):
            denoiser(np.zeros((1, 8, 8, 1), "uint8"))
        with pytest.raises(ValueError, match=r"images.shape=\(8, 8, 1\)"):
            denoiser(np.zeros((8, 8, 1), "float32"))
        with pytest.raises(ValueError, match="_per_sigma=0"):
            denoiser(np.zeros((1, 8, 8, 1), "float32"), 0)
