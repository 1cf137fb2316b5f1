"""`keras-denoise train --self-supervised`: runs and errors."""

import json
import os

import numpy as np
import pytest
from cli_helpers import error_line

from keras_denoise import datasets
from keras_denoise import models
from keras_denoise.cli import main
from keras_denoise.evaluation import estimate_noise_sigma

# The smallest self-supervised run: a 2-layer DnCNN, one epoch of small
# crops of 32x48 files.
SS_TINY = ["--epochs", "1", "--depth", "2", "--filters", "4"]
SS_TINY += ["--patch-size", "16", "--batch-size", "4", "--verbose", "0"]


def _write_png(path, image):
    import skimage.io

    skimage.io.imsave(path, image, check_contrast=False)


@pytest.fixture
def folders(tmp_path):
    """Three 32x48 gray images with sigma 25 noise, and their clean
    versions under the same names."""
    noisy_dir, clean_dir = tmp_path / "noisy", tmp_path / "clean"
    noisy_dir.mkdir()
    clean_dir.mkdir()
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:32, 0:48]
    for i in range(3):
        clean = (120 + 60 * np.sin(x / (4 + i)) * np.cos(y / 5)).round()
        noisy = np.clip(clean + rng.normal(0, 25, clean.shape), 0, 255)
        _write_png(clean_dir / f"img{i}.png", clean.astype("uint8"))
        _write_png(noisy_dir / f"img{i}.png", noisy.round().astype("uint8"))
    return noisy_dir, clean_dir


def _train(*args):
    return main(["train", *map(str, args)])


class TestSelfSupervisedRuns:
    @pytest.mark.slow
    def test_noise2void_with_reference(self, folders, tmp_path):
        import keras

        noisy_dir, clean_dir = folders
        out = tmp_path / "n2v"
        code = _train(
            "--data",
            noisy_dir,
            "--self-supervised",
            "noise2void",
            "--reference",
            clean_dir,
            "--output",
            out,
            *SS_TINY,
        )
        assert code == 0
        assert sorted(os.listdir(out)) == [
            "examples.png",
            "history.png",
            "metrics.json",
            "model.keras",
        ]
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["self_supervised"] == "noise2void"
        assert metrics["num_images"] == 3
        assert metrics["steps"] == 50
        assert len(metrics["history"]["loss"]) == 1
        assert set(metrics["noise_sigma"]) == {"input", "output"}
        # The figures of the noisy input, recomputed here from the files.
        sigmas, psnrs = [], []
        for i in range(3):
            noisy, _ = datasets.read_image(str(noisy_dir / f"img{i}.png"))
            clean, _ = datasets.read_image(str(clean_dir / f"img{i}.png"))
            sigmas.append(255 * estimate_noise_sigma(noisy))
            mse = np.mean((noisy.astype("float64") - clean) ** 2)
            psnrs.append(10 * np.log10(1 / mse))
        assert metrics["noise_sigma"]["input"] == pytest.approx(
            np.mean(sigmas), abs=1e-3
        )
        assert metrics["psnr"]["input"] == pytest.approx(
            np.mean(psnrs), abs=1e-3
        )
        assert set(metrics["ssim"]) == {"input", "output"}
        # model.keras is the plain denoiser, without the skip, any size.
        model = keras.saving.load_model(str(out / "model.keras"))
        assert not isinstance(model, models.Noise2Void)
        assert model.name == "dncnn_no_skip"
        assert tuple(model.input.shape) == (None, None, None, 1)
        # ... and `denoise` uses it as any other model.
        assert (
            main(
                [
                    "denoise",
                    str(noisy_dir / "img0.png"),
                    "--model",
                    str(out / "model.keras"),
                    "--output",
                    str(tmp_path / "denoised"),
                ]
            )
            == 0
        )
        assert os.listdir(tmp_path / "denoised") == ["img0.png"]

    @pytest.mark.slow
    def test_neighbor2neighbor_without_reference(self, folders, tmp_path):
        import keras

        noisy_dir, _ = folders
        out = tmp_path / "n2n"
        code = _train(
            "--data",
            noisy_dir,
            "--self-supervised",
            "neighbor2neighbor",
            "--output",
            out,
            *SS_TINY,
        )
        assert code == 0
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["self_supervised"] == "neighbor2neighbor"
        assert metrics["reference"] is None
        assert "psnr" not in metrics and "ssim" not in metrics
        assert [row["file"] for row in metrics["images"]] == [
            "img0.png",
            "img1.png",
            "img2.png",
        ]
        assert metrics["noise_sigma"]["output"] > 0
        model = keras.saving.load_model(str(out / "model.keras"))
        assert model.name == "residual_denoiser"
        assert (out / "examples.png").stat().st_size > 0


class TestSelfSupervisedErrors:
    def _error(self, capsys, tmp_path, *args):
        out = tmp_path / "out"
        # A patch size the 32x48 files can give, so only `args` are wrong.
        code = _train("--patch-size", "16", *args, "--output", out)
        assert code == 1
        # Nothing is created before the checks pass.
        assert not out.exists()
        return error_line(capsys)

    def test_folder_without_images(self, capsys, tmp_path):
        folder = tmp_path / "texts"
        folder.mkdir()
        (folder / "notes.txt").write_text("no image here")
        line = self._error(
            capsys,
            tmp_path,
            "--data",
            folder,
            "--self-supervised",
            "noise2void",
        )
        assert f"--data {folder} is not a folder of images" in line

    def test_file_that_is_not_an_image(self, capsys, tmp_path, folders):
        noisy_dir, _ = folders
        (noisy_dir / "broken.png").write_bytes(b"not a png at all")
        line = self._error(
            capsys,
            tmp_path,
            "--data",
            noisy_dir,
            "--self-supervised",
            "neighbor2neighbor",
        )
        assert "is not a folder of images" in line
        assert "broken.png" in line

    def test_pairs_are_clean_targets(self, capsys, tmp_path, folders):
        noisy_dir, clean_dir = folders
        line = self._error(
            capsys,
            tmp_path,
            "--data",
            f"{noisy_dir}:{clean_dir}",
            "--self-supervised",
            "noise2void",
        )
        assert "takes no clean targets" in line
        assert "Noise2Noise" in line

    def test_bundled_data_are_clean(self, capsys, tmp_path):
        line = self._error(
            capsys,
            tmp_path,
            "--data",
            "natural",
            "--self-supervised",
            "noise2void",
        )
        assert "not the bundled clean data 'natural'" in line

    def test_reference_needs_self_supervised(self, capsys, tmp_path, folders):
        noisy_dir, clean_dir = folders
        line = self._error(
            capsys, tmp_path, "--data", noisy_dir, "--reference", clean_dir
        )
        assert "--reference applies to --self-supervised" in line

    def test_reference_with_other_names(self, capsys, tmp_path, folders):
        noisy_dir, clean_dir = folders
        os.rename(clean_dir / "img2.png", clean_dir / "other.png")
        line = self._error(
            capsys,
            tmp_path,
            "--data",
            noisy_dir,
            "--self-supervised",
            "noise2void",
            "--reference",
            clean_dir,
        )
        assert f"--reference {clean_dir} does not match --data" in line
        assert "img2" in line

    def test_reference_of_another_size(self, capsys, tmp_path, folders):
        noisy_dir, clean_dir = folders
        _write_png(clean_dir / "img1.png", np.zeros((30, 48), "uint8"))
        line = self._error(
            capsys,
            tmp_path,
            "--data",
            noisy_dir,
            "--self-supervised",
            "noise2void",
            "--reference",
            clean_dir,
        )
        assert "does not match" in line and "img1" in line

    def test_missing_reference(self, capsys, tmp_path, folders):
        noisy_dir, _ = folders
        line = self._error(
            capsys,
            tmp_path,
            "--data",
            noisy_dir,
            "--self-supervised",
            "noise2void",
            "--reference",
            tmp_path / "nowhere",
        )
        assert "--reference directory not found" in line

    @pytest.mark.parametrize(
        "option, value",
        [
            ("--noise", "gaussian:25"),
            ("--model", "conv_autoencoder"),
            ("--patch-size", "40"),
        ],
    )
    def test_options_that_do_not_apply(
        self, capsys, tmp_path, folders, option, value
    ):
        noisy_dir, _ = folders
        line = self._error(
            capsys,
            tmp_path,
            "--data",
            noisy_dir,
            "--self-supervised",
            "noise2void",
            option,
            value,
        )
        assert f"{option} {value}" in line

    def test_unknown_method(self, capsys, tmp_path, folders):
        noisy_dir, _ = folders
        code = _train("--data", noisy_dir, "--self-supervised", "noise2noise")
        assert code == 2
        err = capsys.readouterr().err
        assert "invalid choice: 'noise2noise'" in err
