import json
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_denoise import datasets
from keras_denoise.cli import main

TINY = [
    "--epochs",
    "1",
    "--depth",
    "2",
    "--filters",
    "4",
    "--patches-per-image",
    "2",
    "--eval-images",
    "1",
    "--verbose",
    "0",
]


def _recomputed_accuracy(run, noise, count=32):
    """Accuracy per evaluation corruption of `run/model.keras` on the first
    `count` digits test images, computed here from scratch."""
    import keras

    from keras_denoise.cli import specs

    model = keras.saving.load_model(str(run / "model.keras"))
    _, (x_test, y_test) = datasets.load_digits(16, seed=0)
    x_test, y_test = x_test[:count], y_test[:count]
    result = {}
    corruptions = specs.evaluation_corruptions(specs.parse_noise(noise))
    for name, corruption in corruptions.items():
        noisy = x_test
        if corruption is not None:
            noisy = keras.ops.convert_to_numpy(corruption.corrupt(x_test))
        probabilities = model.predict(noisy, verbose=0)
        if isinstance(probabilities, dict):
            probabilities = probabilities["label"]
        result[name] = float(np.mean(np.argmax(probabilities, -1) == y_test))
    return result


def keras_numpy(tensor):
    import keras

    return keras.ops.convert_to_numpy(tensor)


def _error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("keras-denoise: error: ")
    assert "Traceback" not in err[0]
    return err[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny residual denoiser trained once by `keras-denoise train`."""
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--output", str(out), *TINY]) == 0
    return out


class TestHelp:
    @pytest.mark.parametrize(
        "command", [[], ["train"], ["denoise"], ["evaluate"], ["sample"]]
    )
    def test_help(self, command, capsys):
        assert main([*command, "--help"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("usage: keras-denoise")

    def test_no_command_is_a_usage_error(self, capsys):
        assert main([]) == 2
        assert "required" in _error_line(capsys)


class TestTrain:
    def test_default_outputs(self, trained):
        names = sorted(os.listdir(trained))
        assert names == [
            "examples_clean.png",
            "examples_gaussian_15.png",
            "examples_gaussian_25.png",
            "examples_gaussian_50.png",
            "history.png",
            "metrics.json",
            "model.keras",
        ]
        metrics = json.loads((trained / "metrics.json").read_text())
        rows = metrics["corruptions"]
        assert list(rows) == [
            "gaussian:15",
            "gaussian:25",
            "gaussian:50",
            "clean",
        ]
        # The noisy inputs at sigma 15/25/50 on [0, 1] images: PSNR close
        # to 20 log10(255 / sigma), a little higher because of clipping.
        for sigma in (15, 25, 50):
            psnr = rows[f"gaussian:{sigma}"]["input"]["psnr"]
            expected = 20 * np.log10(255 / sigma)
            assert expected - 0.2 < psnr < expected + 1.5
            assert "tv" in rows[f"gaussian:{sigma}"]["baselines"]
        assert metrics["model"] == "residual_denoiser"
        assert metrics["num_images"] == 3
        # Every output gets the mode open() would give, not mkstemp's 0600.
        umask = os.umask(0)
        os.umask(umask)
        for name in names:
            assert os.stat(trained / name).st_mode & 0o777 == 0o666 & ~umask

    def test_digits_dual_output_model(self, tmp_path, capsys):
        out = tmp_path / "dual"
        code = main(
            [
                "train",
                "--model",
                "denoise_classifier",
                "--data",
                "digits",
                "--noise",
                "gaussian:30,saltpepper:0.05",
                "--output",
                str(out),
                "--epochs",
                "1",
                "--eval-images",
                "1",
                "--verbose",
                "0",
            ]
        )
        assert code == 0
        metrics = json.loads((out / "metrics.json").read_text())
        rows = metrics["corruptions"]
        assert list(rows) == ["gaussian:30", "saltpepper:0.05", "clean"]
        assert "label_accuracy" in metrics["history"]
        # Denoising figures and the label accuracy on the same images.
        assert rows["clean"]["input"]["psnr"] is None
        accuracy = _recomputed_accuracy(out, "gaussian:30,saltpepper:0.05")
        for name, value in accuracy.items():
            assert rows[name]["accuracy"] == value

    def test_directory_and_pairs(self, tmp_path, rng):
        for i in range(10):
            image = rng.random((20, 24, 3)).astype("float32")
            datasets.write_image(str(tmp_path / "clean" / f"{i}.png"), image)
            datasets.write_image(
                str(tmp_path / "noisy" / f"{i}.png"),
                np.clip(image + 0.1, 0, 1),
            )
        args = [*TINY, "--patch-size", "16", "--batch-size", "4"]
        out = tmp_path / "dir"
        assert (
            main(
                [
                    "train",
                    "--data",
                    str(tmp_path / "clean"),
                    "--output",
                    str(out),
                    *args,
                ]
            )
            == 0
        )
        assert (out / "model.keras").exists()
        out = tmp_path / "pairs"
        spec = f"{tmp_path / 'noisy'}:{tmp_path / 'clean'}"
        assert main(["train", "--data", spec, "--output", str(out), *args]) == 0
        rows = json.loads((out / "metrics.json").read_text())["corruptions"]
        assert list(rows) == ["paired", "clean"]
        # E[(min(x + 0.1, 1) - x)^2] for x ~ U(0, 1) = 0.009 + 0.001 / 3.
        assert rows["paired"]["input"]["mse"] == pytest.approx(
            0.009 + 0.001 / 3, rel=0.15
        )

    @pytest.mark.parametrize(
        "model", ["conv_autoencoder", "variational_autoencoder"]
    )
    def test_fixed_size_model_on_natural_data(self, model, tmp_path):
        import keras

        out = tmp_path / model
        argv = ["train", "--model", model, "--patch-size", "16"]
        argv += ["--noise", "gaussian:20", "--output", str(out), *TINY]
        assert main(argv) == 0
        assert sorted(os.listdir(out)) == [
            "examples_clean.png",
            "examples_gaussian_20.png",
            "history.png",
            "metrics.json",
            "model.keras",
        ]
        metrics = json.loads((out / "metrics.json").read_text())
        # One held-out 16x16 patch per held-out photograph, at the model's
        # input size (the 96x96 patches of fully convolutional models
        # would not fit it).
        assert metrics["num_images"] == 3
        psnr = metrics["corruptions"]["gaussian:20"]["input"]["psnr"]
        assert 20 * np.log10(255 / 20) - 0.2 < psnr < 20 * np.log10(12.75) + 2
        loaded = keras.saving.load_model(str(out / "model.keras"))
        assert tuple(loaded.inputs[0].shape) == (None, 16, 16, 1)
        from PIL import Image

        # 3 rows of 16-pixel images with 2 pixels of padding.
        grid = Image.open(out / "examples_gaussian_20.png")
        assert grid.size[1] == 2 + 3 * 18

    def test_fixed_size_model_on_a_directory(self, tmp_path, rng):
        for i, (h, w) in enumerate([(20, 24), (18, 30), (16, 16)] * 4):
            datasets.write_image(
                str(tmp_path / "photos" / f"{i:02d}.png"), rng.random((h, w))
            )
        out = tmp_path / "run"
        argv = ["train", "--model", "conv_autoencoder", "--data"]
        argv += [str(tmp_path / "photos"), "--patch-size", "16"]
        argv += ["--batch-size", "4", "--output", str(out), *TINY]
        assert main(argv) == 0
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["num_images"] == 1  # a tenth of 12 files

    def test_held_out_files_are_capped(self, tmp_path, rng):
        for i in range(30):
            datasets.write_image(
                str(tmp_path / "photos" / f"{i:02d}.png"), rng.random((16, 20))
            )
        out = tmp_path / "run"
        argv = ["train", "--data", str(tmp_path / "photos"), "--patch-size"]
        argv += ["12", "--max-eval-images", "2", "--output", str(out), *TINY]
        assert main(argv) == 0
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["num_images"] == 2  # 3 held out, capped to 2


DIGITS_TINY = ["--data", "digits", "--epochs", "1", "--eval-images", "1"]
DIGITS_TINY += ["--max-train-images", "128", "--verbose", "0"]


class TestModels:
    def test_every_builder_is_a_choice(self):
        import keras_denoise
        from keras_denoise.cli import commands

        builders = {
            name for name in keras_denoise.models.__all__ if name[0].islower()
        }
        assert set(commands.MODELS) == builders
        assert commands.MODELS[0] == "residual_denoiser"  # the default

    def test_cnn_classifier_reports_accuracy_per_corruption(self, tmp_path):
        out = tmp_path / "cnn"
        noise = "gaussian:30,saltpepper:0.05"
        argv = ["train", "--model", "cnn_classifier", "--noise", noise]
        assert main([*argv, "--output", str(out), *DIGITS_TINY]) == 0
        assert sorted(os.listdir(out)) == [
            "history.png",
            "metrics.json",
            "model.keras",
        ]
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["num_images"] == 32
        assert "accuracy" in metrics["history"]
        assert metrics["corruptions"] == {
            name: {"accuracy": value}
            for name, value in _recomputed_accuracy(out, noise).items()
        }

    def test_latent_classifier_freezes_a_trained_encoder(self, tmp_path):
        import keras

        out = tmp_path / "latent"
        argv = ["train", "--model", "latent_classifier", "--noise"]
        argv += ["gaussian:30", "--output", str(out), *DIGITS_TINY]
        assert main(argv) == 0
        assert sorted(os.listdir(out)) == [
            "autoencoder.keras",
            "history.png",
            "metrics.json",
            "model.keras",
        ]
        metrics = json.loads((out / "metrics.json").read_text())
        assert list(metrics["autoencoder_history"]) == ["loss"]
        assert "accuracy" in metrics["history"]
        assert metrics["corruptions"] == {
            name: {"accuracy": value}
            for name, value in _recomputed_accuracy(out, "gaussian:30").items()
        }
        autoencoder = keras.saving.load_model(str(out / "autoencoder.keras"))
        classifier = keras.saving.load_model(str(out / "model.keras"))
        trained = autoencoder.get_layer("encoder").get_weights()
        used = classifier.get_layer("encoder").get_weights()
        assert len(trained) == len(used) > 0
        for a, b in zip(trained, used, strict=True):
            np.testing.assert_array_equal(a, b)  # frozen in stage 2
        assert not classifier.get_layer("encoder").trainable

    def test_backbone_autoencoder(self, tmp_path):
        import keras

        out = tmp_path / "backbone"
        argv = ["train", "--model", "backbone_autoencoder", "--backbone"]
        argv += ["MobileNet", "--image-size", "32", "--noise", "gaussian:20"]
        argv += ["--output", str(out), *DIGITS_TINY[:-4]]
        argv += ["--max-train-images", "32", "--verbose", "0"]
        assert main(argv) == 0
        model = keras.saving.load_model(str(out / "model.keras"))
        assert tuple(model.outputs[0].shape) == (None, 32, 32, 1)
        encoder = model.get_layer("encoder")
        assert any("mobilenet" in layer.name for layer in encoder.layers)
        metrics = json.loads((out / "metrics.json").read_text())
        assert list(metrics["corruptions"]) == ["gaussian:20", "clean"]
        assert metrics["num_images"] == 32

    def test_fresh_noise_every_epoch_for_labelled_models(self, rng):
        from keras_denoise import layers
        from keras_denoise import models
        from keras_denoise.cli import commands

        class Args:
            seed, batch_size = 0, 3

        data = commands.Data()
        data.train = rng.random((8, 6, 6, 1)).astype("float32")
        data.train_labels = np.arange(8)  # one class per image: its index
        noise = layers.AdditiveGaussianNoise(0.1, value_range=None, seed=1)
        for model in (
            models.denoise_classifier((6, 6, 1), 8),
            models.cnn_classifier((6, 6, 1), 8),
        ):
            dataset = commands._train_dataset(data, noise, Args, model)
            epochs = []
            for _ in range(2):
                residuals = {}
                for x, y in dataset:
                    labels = y["label"] if isinstance(y, dict) else y
                    for image, label in zip(
                        x.numpy(), labels.numpy(), strict=True
                    ):
                        residuals[int(label)] = image - data.train[label]
                epochs.append(residuals)
            assert sorted(epochs[0]) == sorted(epochs[1]) == list(range(8))
            for label in range(8):
                first, second = epochs[0][label], epochs[1][label]
                # Noise of sigma 0.1 on every pixel, drawn again each epoch.
                assert 0.05 < first.std() < 0.2
                assert np.abs(first - second).mean() > 0.05


class TestDenoise:
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

    def test_tiling_matches_a_single_pass(self, trained, rng):
        import keras

        from keras_denoise.cli._runtime import denoise_array

        model = keras.saving.load_model(str(trained / "model.keras"))
        image = rng.random((50, 70, 1)).astype("float32")
        whole = denoise_array(model, image, tile=256)
        tiled = denoise_array(model, image, tile=40)
        # depth 2 sees 2 pixels around each output: a 16-pixel margin makes
        # the tiles exact.
        np.testing.assert_allclose(tiled, whole, atol=1e-5)


class TestEvaluate:
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


class TestSample:
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


class TestErrors:
    def _run(self, argv, capsys, tmp_path, code=1):
        before = set(os.listdir(tmp_path))
        assert main(argv) == code
        assert set(os.listdir(tmp_path)) == before  # nothing written
        return _error_line(capsys)

    def test_missing_input(self, trained, tmp_path, capsys):
        line = self._run(
            [
                "denoise",
                str(tmp_path / "nope.png"),
                "--model",
                str(trained / "model.keras"),
                "--output",
                str(tmp_path / "out"),
            ],
            capsys,
            tmp_path,
        )
        assert "input not found" in line

    def test_non_image_input(self, trained, tmp_path, capsys):
        (tmp_path / "fake.png").write_bytes(b"hello")
        line = self._run(
            [
                "denoise",
                str(tmp_path / "fake.png"),
                "--model",
                str(trained / "model.keras"),
                "--output",
                str(tmp_path / "out"),
            ],
            capsys,
            tmp_path,
        )
        assert "Not a readable image file" in line and "fake.png" in line

    def test_corrupt_and_wrong_model_files(self, trained, tmp_path, capsys):
        image = tmp_path / "a.png"
        datasets.write_image(str(image), np.zeros((8, 8, 1)))
        bad = tmp_path / "bad.keras"
        bad.write_bytes(b"garbage")
        truncated = tmp_path / "truncated.keras"
        data = (trained / "model.keras").read_bytes()
        truncated.write_bytes(data[: len(data) // 2])
        out = str(tmp_path / "out")
        for model, message in (
            (bad, "not a Keras model file"),
            (truncated, "not a Keras model file"),
            (tmp_path / "none.keras", "model file not found"),
        ):
            line = self._run(
                ["denoise", str(image), "--model", str(model), "--output", out],
                capsys,
                tmp_path,
            )
            assert message in line
        line = self._run(
            [
                "sample",
                "--model",
                str(trained / "model.keras"),
                "--output",
                str(tmp_path / "s.png"),
            ],
            capsys,
            tmp_path,
        )
        assert "is not a variational autoencoder" in line

    def test_zip_that_is_not_a_keras_model(self, tmp_path, capsys):
        import zipfile

        model = tmp_path / "other.keras"
        with zipfile.ZipFile(model, "w") as archive:
            archive.writestr("readme.txt", "not a model")
        image = tmp_path / "a.png"
        datasets.write_image(str(image), np.zeros((8, 8)))
        out = str(tmp_path / "out")
        line = self._run(
            ["denoise", str(image), "--model", str(model), "--output", out],
            capsys,
            tmp_path,
        )
        assert line.startswith(
            f"keras-denoise: error: cannot load model {model}:"
        )

    def _save(self, model, tmp_path, name):
        path = tmp_path / name
        model.save(path)
        return str(path)

    def test_wrong_kinds_of_model(self, tmp_path, capsys):
        from keras_denoise import models

        models_dir = tmp_path / "models"
        models_dir.mkdir()
        classifier = self._save(
            models.cnn_classifier((16, 16, 1), 10), models_dir, "cnn.keras"
        )
        autoencoder = self._save(
            models.conv_autoencoder((16, 16, 1), filters=(4,)),
            models_dir,
            "ae.keras",
        )
        image = models_dir / "a.png"
        datasets.write_image(str(image), np.zeros((16, 16)))
        out = str(tmp_path / "out")
        line = self._run(
            ["denoise", str(image), "--model", classifier, "--output", out],
            capsys,
            tmp_path,
        )
        assert line == (
            f"keras-denoise: error: {classifier} is a classifier (output "
            "shape (None, 10)): `denoise` needs a model that outputs images, "
            "or a dual model with a 'denoised' output"
        )
        # A plain autoencoder has a decoder, but its codes are not N(0, I).
        line = self._run(
            ["sample", "--model", autoencoder, "--output", f"{out}.png"],
            capsys,
            tmp_path,
        )
        assert f"{autoencoder} is not a variational autoencoder" in line
        line = self._run(
            ["evaluate", "--model", classifier, "--output", out],
            capsys,
            tmp_path,
        )
        assert f"{classifier} is a classifier: evaluate it on labelled" in line

    def test_sample_output_must_be_png(self, trained, tmp_path, capsys):
        model = str(trained / "model.keras")
        text = tmp_path / "x.txt"
        line = self._run(
            ["sample", "--model", model, "--output", str(text)],
            capsys,
            tmp_path,
        )
        assert (
            line
            == f"keras-denoise: error: --output must be a .png file: {text}"
        )
        folder = tmp_path / "dir.png"
        folder.mkdir()
        line = self._run(
            ["sample", "--model", model, "--output", str(folder)],
            capsys,
            tmp_path,
        )
        assert (
            line == f"keras-denoise: error: --output is a directory: {folder}"
        )

    @pytest.mark.parametrize(
        "argv, message",
        [
            (["--noise", "laplace:3"], "unknown noise kind 'laplace:3'"),
            (["--data", "imagenet"], "unknown data 'imagenet'"),
            (["--data", "/no/such:/dirs"], "data directory not found"),
            (
                ["--data", "natural-rgb"],
                "takes 1-channel images but --data natural-rgb has 3 "
                "channel(s)",
            ),
        ],
    )
    def test_evaluate_errors_create_nothing(
        self, argv, message, trained, tmp_path, capsys
    ):
        model = str(trained / "model.keras")
        out = str(tmp_path / "eval")
        line = self._run(
            ["evaluate", "--model", model, "--output", out, *argv],
            capsys,
            tmp_path,
        )
        assert message in line

    @pytest.mark.parametrize(
        "argv, message",
        [
            (["--noise", "gaussian"], "needs a severity"),
            (["--noise", "laplace:3"], "unknown noise kind"),
            (["--noise", "gaussian:50-10"], "min > max"),
            (["--noise", "saltpepper:2"], "must be in [0, 1]"),
            (["--noise", "blur:abc"], "bad number"),
            (["--data", "imagenet"], "unknown data"),
            (["--data", "/no/such:/dirs"], "data directory not found"),
        ],
    )
    def test_bad_specs_fail_before_training(
        self, argv, message, tmp_path, capsys
    ):
        out = tmp_path / "run"
        line = self._run(
            ["train", "--output", str(out), *argv], capsys, tmp_path
        )
        assert message in line

    @pytest.mark.parametrize(
        "argv, message",
        [
            (
                ["--model", "backbone_autoencoder", "--data", "digits"],
                "--backbone MobileNetV2 cannot take 16x16x1 images: Input "
                "size must be at least 32x32",
            ),
            (
                ["--model", "backbone_autoencoder", "--backbone", "Nope"],
                "unknown --backbone 'Nope': choose a keras.applications "
                "model, one of ConvNeXtBase,",
            ),
            (
                ["--model", "cnn_classifier"],
                "--model cnn_classifier needs labelled data: use --data "
                "digits, faces, mnist, fashion (got --data natural)",
            ),
            (
                ["--model", "latent_classifier", "--data", "/"],
                "--model latent_classifier needs labelled data",
            ),
            (
                ["--image-size", "32"],
                "--image-size applies to --data digits and faces only",
            ),
            (
                ["--max-train-images", "9"],
                "--max-train-images applies to --data digits",
            ),
        ],
    )
    def test_model_choice_errors_create_nothing(
        self, argv, message, tmp_path, capsys
    ):
        out = tmp_path / "run"
        line = self._run(
            ["train", "--output", str(out), *argv], capsys, tmp_path
        )
        assert message in line

    def test_usage_errors_exit_2(self, tmp_path, capsys):
        line = self._run(
            ["train", "--model", "resnet", "--output", str(tmp_path / "x")],
            capsys,
            tmp_path,
            code=2,
        )
        assert "invalid choice: 'resnet'" in line
        line = self._run(["train", "--epochs", "0"], capsys, tmp_path, code=2)
        assert "must be at least 1" in line

    def test_output_is_a_file(self, tmp_path, capsys):
        (tmp_path / "taken").write_text("x")
        line = self._run(
            ["train", "--output", str(tmp_path / "taken")], capsys, tmp_path
        )
        assert "not a directory" in line

    def test_unmatched_pairs_create_nothing(self, trained, tmp_path, capsys):
        for folder, names in (("noisy", "ab"), ("clean", "abc")):
            for name in names:
                datasets.write_image(
                    str(tmp_path / folder / f"{name}.png"), np.zeros((16, 16))
                )
        spec = f"{tmp_path / 'noisy'}:{tmp_path / 'clean'}"
        out = str(tmp_path / "run")
        model = str(trained / "model.keras")
        for command in (
            ["train", "--data", spec, "--output", out, *TINY],
            ["evaluate", "--model", model, "--data", spec, "--output", out],
        ):
            line = self._run(command, capsys, tmp_path)
            assert line == (
                "keras-denoise: error: Unmatched image names: 1 in "
                f"{tmp_path / 'clean'} only: c"
            )

    def test_model_build_error_creates_nothing(self, tmp_path, capsys):
        out = tmp_path / "run"
        line = self._run(
            [
                "train",
                "--model",
                "denoise_classifier",
                "--output",
                str(out),
                *TINY,
            ],
            capsys,
            tmp_path,
        )
        assert "--model denoise_classifier needs labelled data" in line

    def test_truncated_input_writes_nothing(self, trained, tmp_path, capsys):
        inputs = tmp_path / "in"
        rng = np.random.default_rng(0)
        for name in ("a.png", "b.png", "c.png"):
            datasets.write_image(str(inputs / name), rng.random((20, 20)))
        data = (inputs / "b.png").read_bytes()
        (inputs / "b.png").write_bytes(data[: len(data) // 2])
        out = tmp_path / "out"
        out.mkdir()
        (out / "old.txt").write_text("kept")
        code = main(
            [
                "denoise",
                str(inputs),
                "--model",
                str(trained / "model.keras"),
                "--output",
                str(out),
            ]
        )
        assert code == 1
        line = _error_line(capsys)
        assert "Not a readable image file" in line and "b.png" in line
        assert os.listdir(out) == ["old.txt"]
        # An output directory the run would have created is not created.
        assert (
            main(
                [
                    "denoise",
                    str(inputs),
                    "--model",
                    str(trained / "model.keras"),
                    "--output",
                    str(tmp_path / "new"),
                ]
            )
            == 1
        )
        _error_line(capsys)
        assert not (tmp_path / "new").exists()

    def test_failure_while_denoising_leaves_nothing_new(
        self, trained, tmp_path, capsys, monkeypatch
    ):
        from keras_denoise.cli import commands

        inputs = tmp_path / "in"
        for name in ("a.png", "b.png", "c.png"):
            datasets.write_image(str(inputs / name), np.zeros((12, 12)))
        calls = []
        real = commands.denoise_array

        def fail_on_third(model, image, batch_size):
            calls.append(1)
            if len(calls) == 3:
                raise OSError("disk full")
            return real(model, image, batch_size=batch_size)

        monkeypatch.setattr(commands, "denoise_array", fail_on_third)
        out = tmp_path / "out"
        argv = ["denoise", str(inputs), "--model", str(trained / "model.keras")]
        assert main([*argv, "--output", str(out)]) == 1
        assert _error_line(capsys) == "keras-denoise: error: disk full"
        assert len(calls) == 3  # two images were denoised, then it failed
        assert not out.exists()
        out.mkdir()
        (out / "a.png").write_bytes(b"previous")
        calls.clear()
        assert main([*argv, "--output", str(out)]) == 1
        _error_line(capsys)
        assert os.listdir(out) == ["a.png"]
        assert (out / "a.png").read_bytes() == b"previous"

    def test_failure_after_fit_keeps_the_model_only(
        self, tmp_path, capsys, monkeypatch
    ):
        from keras_denoise.cli import commands

        def broken(*args):
            raise ValueError("evaluation broke")

        monkeypatch.setattr(commands, "_evaluate", broken)
        out = tmp_path / "run"
        assert main(["train", "--output", str(out), *TINY]) == 1
        line = _error_line(capsys)
        assert line.startswith("keras-denoise: error: evaluation broke")
        assert f"the model is saved in {out / 'model.keras'}" in line
        assert os.listdir(out) == ["model.keras"]

    def test_subprocess_one_line_no_traceback(self, tmp_path):
        env = dict(os.environ, KERAS_BACKEND="tensorflow")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "keras_denoise_cli",
                "denoise",
                str(tmp_path / "missing.png"),
                "--model",
                str(tmp_path / "m.keras"),
                "--output",
                str(tmp_path / "out"),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f"keras-denoise: error: input not found: {tmp_path}/missing.png"
        ]
        assert not (tmp_path / "out").exists()
