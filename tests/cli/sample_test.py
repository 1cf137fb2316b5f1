"""`keras-denoise sample`."""

import pytest

from keras_denoise.cli import main


class TestSample:
    @pytest.mark.slow
    def test_vae_grid(self, tmp_path):
        run = tmp_path / "vae"
        code = main(
            [
                "train",
                "--model",
                "variational_autoencoder",
                "--data",
                "digits",
                "--noise",
                "gaussian:20",
                "--epochs",
                "1",
                "--eval-images",
                "1",
                "--output",
                str(run),
                "--verbose",
                "0",
            ]
        )
        assert code == 0
        grid = tmp_path / "samples.png"
        code = main(
            [
                "sample",
                "--model",
                str(run / "model.keras"),
                "--n",
                "5",
                "--output",
                str(grid),
            ]
        )
        assert code == 0
        from PIL import Image

        # 5 samples of 16x16 digits scaled 6x: 3 columns, 2 rows.
        width, height = Image.open(grid).size
        assert (width, height) == (2 + 3 * 98, 2 + 2 * 98)
