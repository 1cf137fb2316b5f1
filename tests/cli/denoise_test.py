"""`keras-denoise denoise`."""

import os

import numpy as np
import pytest

from keras_denoise import datasets
from keras_denoise.cli import main


class TestDenoise:
    @pytest.mark.slow
    def test_files_and_directories_keep_names_and_depth(
        self, trained, tmp_path, rng
    ):
        folder = tmp_path / "in"
        gray16 = rng.random((30, 41, 1)).astype("float32")
        datasets.write_image(str(folder / "gray16.png"), gray16, 16)
        datasets.write_image(str(folder / "rgb.jpg"), rng.random((17, 9, 3)))
        single = tmp_path / "rgba.png"
        datasets.write_image(str(single), rng.random((12, 300, 4)))
        out = tmp_path / "out"
        code = main(
            [
                "denoise",
                str(folder),
                str(single),
                "--model",
                str(trained / "model.keras"),
                "--output",
                str(out),
            ]
        )
        assert code == 0
        assert sorted(os.listdir(out)) == ["gray16.png", "rgb.jpg", "rgba.png"]
        assert datasets.read_image_info(str(out / "gray16.png")) == (
            30,
            41,
            1,
            16,
        )
        assert datasets.read_image_info(str(out / "rgb.jpg"))[:3] == (17, 9, 3)
        rgba, _ = datasets.read_image(str(out / "rgba.png"))
        original, _ = datasets.read_image(str(single))
        assert rgba.shape == (12, 300, 4)
        np.testing.assert_array_equal(rgba[..., 3], original[..., 3])

    @pytest.mark.slow
    def test_tiling_matches_a_single_pass(self, trained, rng):
        import keras

        from keras_denoise.cli.restore import denoise_array

        model = keras.saving.load_model(str(trained / "model.keras"))
        image = rng.random((50, 70, 1)).astype("float32")
        whole = denoise_array(model, image, tile=256)
        tiled = denoise_array(model, image, tile=40)
        # depth 2 sees 2 pixels around each output: a 16-pixel margin makes
        # the tiles exact.
        np.testing.assert_allclose(tiled, whole, atol=1e-5)
