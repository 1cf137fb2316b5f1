"""The command line with the shipped trained denoisers: `denoise` without
`--model`, a shipped model by name, `--noise-level`, `train --init`."""

import os

import numpy as np
import pytest
from cli_helpers import error_line

from keras_denoise import datasets
from keras_denoise.cli import main


def _psnr(clean, image):
    return float(10 * np.log10(1.0 / np.mean((clean - image) ** 2)))


def _photo(channels):
    """A 96x80 crop of a bundled photograph, gray or RGB."""
    photo = datasets.load_natural_images(
        ["astronaut"], grayscale=channels == 1
    )["astronaut"]
    return photo[100:196, 200:280]


@pytest.fixture(scope="module")
def noisy_folder(tmp_path_factory):
    """Gray 8- and 16-bit and RGB 8-bit files with sigma 25 noise, and the
    clean images they were made from."""
    folder = tmp_path_factory.mktemp("noisy")
    rng = np.random.default_rng(3)
    clean = {
        "gray8.png": (_photo(1), 8),
        "gray16.png": (_photo(1), 16),
        "rgb8.png": (_photo(3), 8),
    }
    for name, (image, depth) in clean.items():
        noisy = np.clip(image + rng.normal(0, 25 / 255, image.shape), 0, 1)
        datasets.write_image(str(folder / name), noisy, bit_depth=depth)
    return folder, {name: image for name, (image, _) in clean.items()}


def test_pretrained_names_match_the_package():
    from keras_denoise import models
    from keras_denoise.cli import building

    assert list(building.PRETRAINED) == models.pretrained_names()


@pytest.mark.slow
def test_denoise_without_model_uses_the_shipped_ones(noisy_folder, tmp_path):
    folder, clean = noisy_folder
    out = tmp_path / "out"
    assert main(["denoise", str(folder), "--output", str(out)]) == 0
    assert sorted(os.listdir(out)) == sorted(clean)
    for name, image in clean.items():
        info = datasets.read_image_info(str(out / name))
        assert info.channels == image.shape[-1]
        assert info.bit_depth == (16 if "16" in name else 8)
        restored, _ = datasets.read_image(str(out / name))
        noisy, _ = datasets.read_image(str(folder / name))
        # Each shipped model gains several dB at sigma 25 on Set12 (see
        # its model card); on these small crops 3 dB is a safe floor that
        # an untrained or mismatched model does not reach.
        assert _psnr(image, restored) > _psnr(image, noisy) + 3.0, name


@pytest.mark.slow
def test_a_shipped_model_by_name(noisy_folder, tmp_path):
    folder, _ = noisy_folder
    out = tmp_path / "out"
    code = main(
        [
            "denoise",
            str(folder / "rgb8.png"),
            "--model",
            "gaussian_color",
            "--output",
            str(out),
        ]
    )
    assert code == 0
    assert os.listdir(out) == ["rgb8.png"]


@pytest.mark.slow
def test_self_ensemble_averages_the_eight_orientations(noisy_folder, tmp_path):
    folder, clean = noisy_folder
    restored = {}
    for flags in ([], ["--self-ensemble"]):
        out = tmp_path / ("x8" if flags else "plain")
        args = ["denoise", str(folder / "gray8.png"), "--output", str(out)]
        assert main(args + flags) == 0
        restored[bool(flags)], _ = datasets.read_image(str(out / "gray8.png"))
    # The mean of eight passes is another image, and on this crop a
    # cleaner one (measured with the U-Net shipped at 5,400 steps: noisy
    # 20.44 dB, plain 29.00 dB, self-ensemble 29.22 dB).
    assert np.abs(restored[True] - restored[False]).max() > 1 / 255
    image = clean["gray8.png"]
    assert _psnr(image, restored[True]) > _psnr(image, restored[False])


@pytest.mark.slow
def test_noise_level_fills_the_map_of_a_noise_level_model(
    noisy_folder, tmp_path
):
    from keras_denoise import models

    folder, _ = noisy_folder
    model = models.unet_denoiser(filters=(4, 8), noise_level_input=True)
    path = tmp_path / "flexible.keras"
    model.save(path)
    outputs = {}
    for sigma in ("0", "50"):
        out = tmp_path / f"out{sigma}"
        code = main(
            [
                "denoise",
                str(folder / "gray8.png"),
                "--model",
                str(path),
                "--noise-level",
                sigma,
                "--output",
                str(out),
            ]
        )
        assert code == 0
        outputs[sigma], _ = datasets.read_image(str(out / "gray8.png"))
    # The level reaches the model: its output depends on it.
    assert np.abs(outputs["0"] - outputs["50"]).max() > 0


@pytest.mark.slow
def test_noise_level_errors(noisy_folder, tmp_path, capsys):
    from keras_denoise import models

    folder, _ = noisy_folder
    image = str(folder / "gray8.png")
    out = str(tmp_path / "out")
    assert main(["denoise", image, "--noise-level", "25", "--output", out])
    assert "the shipped models take no noise level" in error_line(capsys)
    assert main(["denoise", image, "--noise-level", "300", "--output", out])
    assert "--noise-level must be in [0, 255]" in error_line(capsys)
    path = tmp_path / "flexible.keras"
    models.unet_denoiser(filters=(4,), noise_level_input=True).save(path)
    assert main(["denoise", image, "--model", str(path), "--output", out])
    assert "give --noise-level SIGMA" in error_line(capsys)
    blind = tmp_path / "blind.keras"
    models.residual_denoiser(depth=2, filters=4).save(blind)
    code = main(
        [
            "denoise",
            image,
            "--model",
            str(blind),
            "--noise-level",
            "25",
            "--output",
            out,
        ]
    )
    assert code == 1
    assert "takes no noise level" in error_line(capsys)
    assert not os.path.exists(out)


@pytest.mark.slow
def test_train_init_fine_tunes_the_shipped_model(tmp_path):
    out = tmp_path / "tuned"
    code = main(
        [
            "train",
            "--init",
            "gaussian_gray",
            "--epochs",
            "1",
            "--patches-per-image",
            "1",
            "--eval-images",
            "1",
            "--verbose",
            "0",
            "--output",
            str(out),
        ]
    )
    assert code == 0
    import json

    import keras

    model = keras.saving.load_model(str(out / "model.keras"))
    assert model.name == "gaussian_gray"
    with open(out / "metrics.json") as f:
        metrics = json.load(f)
    gains = [
        row["output"]["psnr"] - row["input"]["psnr"]
        for name, row in metrics["corruptions"].items()
        if name.startswith("gaussian")
    ]
    # Fine-tuning one short epoch at a small rate keeps the shipped
    # model's denoising: a gain at every noise level.
    assert gains and min(gains) > 2.0, metrics["corruptions"]


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--model", "unet_denoiser"], "leave out --model unet_denoiser"),
        (["--depth", "4"], "leave out --depth and --filters"),
    ],
)
def test_train_init_errors(extra, words, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        ["train", "--init", "gaussian_gray", "--output", str(out)] + extra
    )
    assert code == 1
    assert words in error_line(capsys)
    assert not out.exists()


@pytest.mark.slow
def test_train_init_checks_channels(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--init",
            "gaussian_gray",
            "--data",
            "natural-rgb",
            "--output",
            str(out),
        ]
    )
    assert code == 1
    assert "takes 1-channel images" in error_line(capsys)
    assert not out.exists()
