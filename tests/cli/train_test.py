"""`keras-denoise train`: outputs, data kinds and model builders."""

import json
import os

import numpy as np
import pytest
from cli_helpers import DIGITS_TINY
from cli_helpers import TINY
from cli_helpers import recomputed_accuracy

from keras_denoise import datasets
from keras_denoise.cli import main


class TestTrain:
    @pytest.mark.slow
    def test_default_outputs(self, trained):
        names = sorted(os.listdir(trained))
        assert names == [
            "evaluation.png",
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

    @pytest.mark.slow
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
        accuracy = recomputed_accuracy(out, "gaussian:30,saltpepper:0.05")
        for name, value in accuracy.items():
            assert rows[name]["accuracy"] == value

    @pytest.mark.slow
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

    @pytest.mark.slow
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
            "evaluation.png",
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

        # A title line, then 3 rows of 16-pixel images magnified 6 times
        # (to 96 pixels), each with a caption line, 2 pixels of padding.
        grid = Image.open(out / "examples_gaussian_20.png")
        assert grid.size[1] == 14 + 2 + 3 * (16 * 6 + 14 + 2)

    @pytest.mark.slow
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

    @pytest.mark.slow
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


class TestModels:
    def test_every_builder_is_a_choice(self):
        import keras_denoise
        from keras_denoise.cli import building

        builders = {
            name
            for name in keras_denoise.models.__all__
            if name[0].islower()
            and name not in ("pretrained", "pretrained_names")
        }
        assert set(building.MODELS) == builders
        assert building.MODELS[0] == "residual_denoiser"  # the default

    @pytest.mark.slow
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
            for name, value in recomputed_accuracy(out, noise).items()
        }

    @pytest.mark.slow
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
            for name, value in recomputed_accuracy(out, "gaussian:30").items()
        }
        autoencoder = keras.saving.load_model(str(out / "autoencoder.keras"))
        classifier = keras.saving.load_model(str(out / "model.keras"))
        trained = autoencoder.get_layer("encoder").get_weights()
        used = classifier.get_layer("encoder").get_weights()
        assert len(trained) == len(used) > 0
        for a, b in zip(trained, used, strict=True):
            np.testing.assert_array_equal(a, b)  # frozen in stage 2
        assert not classifier.get_layer("encoder").trainable

    @pytest.mark.slow
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
        from keras_denoise.cli import building
        from keras_denoise.cli.data import Data

        data = Data()
        data.train = rng.random((8, 6, 6, 1)).astype("float32")
        data.train_labels = np.arange(8)  # one class per image: its index
        noise = layers.AdditiveGaussianNoise(0.1, value_range=None, seed=1)
        for model in (
            models.denoise_classifier((6, 6, 1), 8),
            models.cnn_classifier((6, 6, 1), 8),
        ):
            dataset = building.train_dataset(
                data, noise, model, batch_size=3, seed=0
            )
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
