"""`keras-denoise train`: epochs of folders and pairs, `--patches-per-image`,
`--learning-rate`, `--noise clean`, corruption mixtures and warnings."""

import json
import math

import numpy as np
import pytest
from cli_helpers import TINY

from keras_denoise import datasets
from keras_denoise import layers
from keras_denoise.cli import building
from keras_denoise.cli import main
from keras_denoise.cli import specs
from keras_denoise.cli.data import MAX_AUTO_CROPS
from keras_denoise.cli.data import MIN_EPOCH_PATCHES
from keras_denoise.cli.data import Data
from keras_denoise.cli.data import DataOptions
from keras_denoise.cli.data import load_data
from keras_denoise.cli.denoise import small_model_warning
from keras_denoise.cli.train import worse_warning


def _folder(root, count, rng, noisy=False):
    for i in range(count):
        image = rng.random((20, 24, 1)).astype("float32")
        datasets.write_image(str(root / "clean" / f"{i:02d}.png"), image)
        if noisy:
            datasets.write_image(
                str(root / "noisy" / f"{i:02d}.png"),
                np.clip(image + 0.1, 0, 1),
            )


class TestEpochs:
    def test_a_small_folder_makes_an_epoch_of_many_steps(self, tmp_path, rng):
        # 29 pairs at batch 32 used to be one step an epoch.
        _folder(tmp_path, 29, rng, noisy=True)
        options = DataOptions(patch_size=16, batch_size=32)
        spec = ("pairs", str(tmp_path / "noisy"), str(tmp_path / "clean"))
        data = load_data(spec, options)
        assert data.train_count == 26  # a tenth (3) held out
        assert data.crops_per_image == min(
            MAX_AUTO_CROPS, math.ceil(MIN_EPOCH_PATCHES / 26)
        )
        assert data.steps == math.ceil(26 * data.crops_per_image / 32)
        assert data.steps >= 50
        # The stream repeats: an epoch of `steps` full batches.
        batches = list(data.stream.take(data.steps))
        assert len(batches) == data.steps
        assert all(noisy.shape == (32, 16, 16, 1) for noisy, _ in batches)

    def test_patches_per_image_for_every_data_source(self, tmp_path, rng):
        _folder(tmp_path, 29, rng)
        options = DataOptions(patch_size=16, batch_size=8, patches_per_image=3)
        data = load_data(("directory", str(tmp_path / "clean")), options)
        assert (data.crops_per_image, data.steps) == (3, math.ceil(26 * 3 / 8))
        digits = load_data(
            ("bundled", "digits"),
            DataOptions(max_train_images=8, patches_per_image=3),
        )
        assert digits.passes == 3
        # A large folder takes one crop per file, never more than the cap.
        big = Data()
        from keras_denoise.cli.data import _epoch

        _epoch(big, 5000, DataOptions(batch_size=32))
        assert (big.crops_per_image, big.steps) == (1, 157)
        _epoch(big, 1, DataOptions(batch_size=32))
        assert big.crops_per_image == MAX_AUTO_CROPS

    def test_labelled_images_are_seen_passes_times(self, rng):
        from keras_denoise import models

        data = Data()
        data.train = rng.random((8, 6, 6, 1)).astype("float32")
        data.train_labels = np.arange(8)
        data.passes = 3
        noise = layers.AdditiveGaussianNoise(0.1, seed=1)
        for model in (
            models.cnn_classifier((6, 6, 1), 8),
            models.conv_autoencoder((8, 8, 1)),
        ):
            dataset = building.train_dataset(
                data, noise, model, batch_size=4, seed=0
            )
            assert sum(len(x) for x, _ in dataset) == 24

    def test_log_line_of_pairs_names_no_noise(self, tmp_path, rng):
        from keras_denoise.cli.train import _training_set

        _folder(tmp_path, 10, rng, noisy=True)
        spec = ("pairs", str(tmp_path / "noisy"), str(tmp_path / "clean"))
        data = load_data(spec, DataOptions(patch_size=16, batch_size=4))

        class Options:
            noise = "gaussian:0-50"

        line = _training_set(data, Options)
        assert line.startswith("9 noisy/clean pairs (")
        assert "gaussian" not in line and "no added noise" in line


class TestLearningRate:
    def test_rate_reaches_every_recipe(self):
        import keras

        from keras_denoise import models

        for model in (
            models.residual_denoiser(channels=1, depth=2, filters=4),
            models.cnn_classifier((8, 8, 1), 3),
        ):
            building.compile_model(model, 10, learning_rate=0.02)
            rate = model.optimizer.learning_rate
            if isinstance(
                rate, keras.optimizers.schedules.LearningRateSchedule
            ):
                rate = rate(0)
            assert float(rate) == pytest.approx(0.02)
        denoiser = models.residual_denoiser(channels=1, depth=2, filters=4)
        building.compile_model(denoiser, 10)
        assert float(denoiser.optimizer.learning_rate) == pytest.approx(
            building.LEARNING_RATE
        )

    @pytest.mark.parametrize("value", ["0", "-1", "abc", "inf"])
    def test_bad_rates_are_usage_errors(self, value, tmp_path, capsys):
        argv = ["train", "--learning-rate", value, "--output", str(tmp_path)]
        assert main(argv) == 2
        assert "--learning-rate" in capsys.readouterr().err


class TestNoiseSpecs:
    def test_clean_kind(self):
        assert specs.parse_noise("clean") == [[("clean", 0.0, 0.0)]]
        assert specs.build_training_corruption(specs.parse_noise("clean")) is (
            None
        )
        assert specs.evaluation_corruptions(specs.parse_noise("clean")) == {
            "clean": None
        }
        # In a chain 'clean' changes nothing.
        assert specs.parse_noise("gaussian:10+clean") == [
            [("gaussian", 10.0, 10.0)]
        ]
        mixed = specs.build_training_corruption(
            specs.parse_noise("gaussian:25,clean,blur:1")
        )
        assert isinstance(mixed, layers.RandomCorruption)
        assert mixed.clean_probability == pytest.approx(1 / 3)
        with pytest.raises(specs.SpecError, match="'clean' takes no severity"):
            specs.parse_noise("clean:3")

    def test_a_mixture_of_chains_is_a_random_corruption(self):
        import keras

        mixture = specs.parse_noise("blur:2+gaussian:25,saltpepper:0.2")
        corruption = specs.build_training_corruption(mixture, seed=3)
        assert isinstance(corruption, layers.RandomCorruption)
        images = np.full((400, 8, 8, 1), 0.5, "float32")
        noisy = keras.ops.convert_to_numpy(corruption(images, training=True))
        # Salt-and-pepper leaves 0.5 or sets 0/1; the chain moves every
        # pixel by Gaussian noise of sigma 25/255, blurred.
        sp = np.all(np.isin(noisy, (0.0, 0.5, 1.0)), axis=(1, 2, 3))
        # One of two per image: 200 +- 3 standard errors (10).
        assert 170 < sp.sum() < 230
        assert np.all(np.abs(noisy[~sp] - 0.5).max(axis=(1, 2, 3)) > 0)
        # It runs inside a tf.data map, as `train` feeds it.
        data = Data()
        data.train = images[:16]
        dataset = building.train_dataset(
            data,
            corruption,
            building.build_model(
                "residual_denoiser", _data(1), corruption, patch_size=8
            ),
            batch_size=8,
            seed=0,
        )
        assert len(list(dataset)) == 2


def _data(channels):
    data = Data()
    data.channels = channels
    return data


class _Report(dict):
    def psnr_gain(self, name):
        return self[name]


class TestWarnings:
    def test_negative_gain(self):
        report = _Report({"gaussian:15": -0.5, "gaussian:50": 2.0, "clean": 0})
        line = worse_warning(report, "conv_autoencoder")
        assert line.startswith("Warning: the model makes its inputs worse")
        assert "gaussian:15" in line and "gaussian:50" not in line
        assert "\n" not in line
        vae = worse_warning(report, "variational_autoencoder")
        assert "does not denoise well" in vae
        assert worse_warning(_Report({"gaussian:15": 0.1}), "x") is None

    def test_fixed_size_model_much_smaller_than_the_image(self):
        assert "40x40" in small_model_warning((40, 40), (512, 384))
        assert small_model_warning((64, 64), (128, 200)) is None
        assert small_model_warning(None, (4000, 4000)) is None

    def test_denoise_prints_the_warning(self, tmp_path, rng, capsys):
        import keras

        inputs = keras.Input((16, 16, 1))
        model = keras.Model(
            inputs, keras.layers.Conv2D(1, 3, padding="same")(inputs)
        )
        model.save(str(tmp_path / "m.keras"))
        datasets.write_image(str(tmp_path / "a.png"), rng.random((80, 64)))
        argv = ["denoise", str(tmp_path / "a.png"), "--model"]
        argv += [str(tmp_path / "m.keras"), "--output", str(tmp_path / "o")]
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "Warning: the model takes 16x16 inputs" in out
        assert "up to 80x64" in out


@pytest.mark.slow
def test_train_on_pairs_logs_what_it_trains_on(tmp_path, rng, capsys):
    _folder(tmp_path, 10, rng, noisy=True)
    spec = f"{tmp_path / 'noisy'}:{tmp_path / 'clean'}"
    args = [*TINY, "--patch-size", "16", "--batch-size", "4"]
    args += ["--learning-rate", "0.01", "--output", str(tmp_path / "run")]
    assert main(["train", "--data", spec, *args]) == 0
    out = capsys.readouterr().out
    (line,) = [ln for ln in out.splitlines() if ln.startswith("Training")]
    assert "on 9 noisy/clean pairs (2 random crops of each" in line
    assert "5 steps of 4 per epoch" in line and "against noise" not in line


@pytest.mark.slow
def test_train_with_clean_noise(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--data", "digits", "--model", "dense_autoencoder"]
    args += ["--noise", "clean", "--epochs", "1", "--eval-images", "1"]
    args += ["--max-train-images", "64", "--verbose", "0"]
    assert main([*args, "--output", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert list(metrics["corruptions"]) == ["clean"]
    assert "with no noise" in capsys.readouterr().out
