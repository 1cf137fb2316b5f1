"""`keras-denoise evaluate`."""

import json
import os

import numpy as np
import pytest
from cli_helpers import keras_numpy

from keras_denoise import datasets
from keras_denoise.cli import main


class TestEvaluate:
    @pytest.mark.parametrize(
        "flag", ["--patch-size", "--patches-per-image", "--epochs", "--depth"]
    )
    def test_train_only_flags_are_refused(self, flag, capsys):
        assert main(["evaluate", "--model", "m.keras", flag, "8"]) == 2
        err = capsys.readouterr().err
        assert f"unrecognized arguments: {flag} 8" in err

    @pytest.mark.slow
    def test_prints_table(self, trained, capsys):
        code = main(
            [
                "evaluate",
                "--model",
                str(trained / "model.keras"),
                "--noise",
                "gaussian:25,blur:1",
                "--eval-images",
                "1",
            ]
        )
        assert code == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0].split()[:4] == ["corruption", "PSNR", "in", "PSNR"]
        assert [line.split()[0] for line in out[2:5]] == [
            "gaussian:25",
            "blur:1",
            "clean",
        ]

    @pytest.mark.slow
    def test_a_folder_is_scored_whole_at_full_size(self, trained, tmp_path):
        from keras_denoise.cli import specs

        rng = np.random.default_rng(3)
        # Several sizes; one taller than a 256-pixel tile.
        sizes = [(30, 41), (17, 23), (30, 41), (300, 20)]
        for i, (h, w) in enumerate(sizes):
            image = rng.random((h, w, 1)).astype("float32")
            datasets.write_image(str(tmp_path / "test" / f"{i}.png"), image, 16)
        clean = [
            datasets.read_image(str(tmp_path / "test" / f"{i}.png"))[0]
            for i in range(4)
        ]
        model = str(trained / "model.keras")
        out = tmp_path / "eval"
        argv = ["evaluate", "--model", model, "--data"]
        argv += [str(tmp_path / "test"), "--noise", "gaussian:25"]
        assert main([*argv, "--output", str(out)]) == 0
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["num_images"] == 4  # every file, none held out
        assert sorted(os.listdir(out)) == [
            "evaluation.png",
            "examples_clean.png",
            "examples_gaussian_25.png",
            "metrics.json",
        ]
        # The "clean" row scores what `denoise` writes for these files
        # (16-bit PNGs, so the files hold the outputs to 1/65535).
        argv = ["denoise", str(tmp_path / "test"), "--model", model]
        assert main([*argv, "--output", str(tmp_path / "den")]) == 0
        denoised = [
            datasets.read_image(str(tmp_path / "den" / f"{i}.png"))[0]
            for i in range(4)
        ]
        mse = [
            np.mean((d.astype("float64") - c) ** 2)
            for d, c in zip(denoised, clean, strict=True)
        ]
        row = metrics["corruptions"]["clean"]
        assert row["output"]["mse"] == pytest.approx(np.mean(mse), rel=1e-3)
        # The noisy row: each full image corrupted by the seeded layer.
        (noise, _) = specs.evaluation_corruptions(
            specs.parse_noise("gaussian:25")
        ).values()
        noisy = [
            np.clip(keras_numpy(noise.corrupt(c[None]))[0], 0, 1) for c in clean
        ]
        mse = [
            np.mean((n.astype("float64") - c) ** 2)
            for n, c in zip(noisy, clean, strict=True)
        ]
        row = metrics["corruptions"]["gaussian:25"]
        assert row["input"]["mse"] == pytest.approx(np.mean(mse), rel=1e-6)

    @pytest.mark.slow
    def test_one_image_folder_and_pairs(self, trained, tmp_path, capsys):
        rng = np.random.default_rng(4)
        clean = rng.random((21, 33)).astype("float32")
        datasets.write_image(str(tmp_path / "one" / "x.png"), clean, 16)
        datasets.write_image(
            str(tmp_path / "noisy" / "x.png"), np.clip(clean + 0.1, 0, 1), 16
        )
        model = str(trained / "model.keras")
        argv = ["evaluate", "--model", model, "--data"]
        assert main([*argv, str(tmp_path / "one")]) == 0
        assert "(1 images; PSNR in dB)" in capsys.readouterr().out
        out = tmp_path / "pairs"
        spec = f"{tmp_path / 'noisy'}:{tmp_path / 'one'}"
        assert main([*argv, spec, "--output", str(out)]) == 0
        rows = json.loads((out / "metrics.json").read_text())["corruptions"]
        assert list(rows) == ["paired", "clean"]
        expected = np.mean((np.clip(clean + 0.1, 0, 1) - clean) ** 2)
        assert rows["paired"]["input"]["mse"] == pytest.approx(
            expected, rel=1e-3
        )

    def test_fixed_size_model_gets_centre_crops(self, tmp_path):
        from keras_denoise import evaluation
        from keras_denoise import models

        model = models.conv_autoencoder((16, 16, 1), filters=(4,))
        path = tmp_path / "ae.keras"
        model.save(path)
        rng = np.random.default_rng(5)
        big = rng.random((40, 50, 1)).astype("float32")
        datasets.write_image(str(tmp_path / "t" / "big.png"), big, 16)
        argv = ["evaluate", "--model", str(path), "--noise", "gaussian:10"]
        out = tmp_path / "eval"
        code = main(
            [*argv, "--data", str(tmp_path / "t"), "--output", str(out)]
        )
        assert code == 0
        metrics = json.loads((out / "metrics.json").read_text())
        image, _ = datasets.read_image(str(tmp_path / "t" / "big.png"))
        crop = image[None, 12:28, 17:33]  # the centre 16x16
        expected = evaluation.evaluate_corruptions(
            model, crop, {"clean": None}
        ).to_dict()["corruptions"]["clean"]
        assert metrics["corruptions"]["clean"]["output"] == expected["output"]
        # An image smaller than the model is enlarged, then cropped.
        datasets.write_image(str(tmp_path / "t" / "small.png"), big[:8, :12])
        assert main([*argv, "--data", str(tmp_path / "t")]) == 0
