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


class TestManyAndLargeFiles:
    @pytest.fixture
    def model_file(self, tmp_path):
        import keras

        from keras_denoise import models

        keras.utils.set_random_seed(0)
        model = models.residual_denoiser(channels=1, depth=2, filters=4)
        path = tmp_path / "tiny.keras"
        model.save(path)
        return path

    def test_small_files_are_batched_and_match_one_at_a_time(
        self, model_file, tmp_path, rng
    ):
        import keras

        from keras_denoise.cli.restore import denoise_array

        folder = tmp_path / "in"
        shapes = [(8, 8, 1)] * 5 + [(8, 8, 3)] * 2 + [(12, 10, 1), (8, 8, 1)]
        for i, shape in enumerate(shapes):
            datasets.write_image(str(folder / f"{i}.png"), rng.random(shape))
        out = tmp_path / "out"
        argv = ["denoise", str(folder), "--model", str(model_file)]
        assert main([*argv, "--output", str(out), "--quiet"]) == 0
        model = keras.saving.load_model(str(model_file))
        for i, shape in enumerate(shapes):
            image, _ = datasets.read_image(str(folder / f"{i}.png"))
            alone = denoise_array(model, image)
            written, _ = datasets.read_image(str(out / f"{i}.png"))
            assert written.shape == shape
            # The same 8-bit image as a file denoised on its own.
            np.testing.assert_allclose(written, alone, atol=0.5 / 255 + 1e-6)

    def test_a_large_image_reports_progress_over_its_tiles(
        self, model_file, tmp_path, rng, capsys
    ):
        folder = tmp_path / "in"
        datasets.write_image(str(folder / "big.png"), rng.random((300, 600)))
        out = tmp_path / "out"
        argv = ["denoise", str(folder), "--model", str(model_file), "-v"]
        assert main([*argv, "--output", str(out)]) == 0
        captured = capsys.readouterr()
        lines = (captured.out + captured.err).splitlines()
        tenths = [line for line in lines if line.endswith(" %")]
        # 2 x 3 tiles of 256 pixels (overlap 64) in batches of 4: 4 of 6
        # tiles, then all.
        assert [line.rsplit(": ", 1)[1] for line in tenths] == ["60 %", "100 %"]
        assert tenths[0].startswith("[1/1] ") and "big.png" in tenths[0]

    def test_evaluate_restores_small_images_together(self, model_file, rng):
        import keras

        from keras_denoise.cli.restore import denoise_array
        from keras_denoise.cli.restore import denoise_batch

        model = keras.saving.load_model(str(model_file))
        images = rng.random((6, 9, 11, 3)).astype("float32")
        together = denoise_batch(model, images)
        for image, result in zip(images, together, strict=True):
            np.testing.assert_allclose(
                result, denoise_array(model, image), atol=1e-6
            )
