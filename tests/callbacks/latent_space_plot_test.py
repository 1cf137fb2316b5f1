import os

import keras
import numpy as np
import pytest
from PIL import Image

from keras_denoise.callbacks import LatentSpacePlot
from keras_denoise.visualization import project_2d
from keras_denoise.visualization.plots import _PALETTE as PALETTE


def _model_with_encoder(latent_dim=2, features=6):
    """An autoencoder whose "encoder" outputs `[z_mean, z_log_var]`."""
    encoder_inputs = keras.Input((features,))
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(encoder_inputs)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(encoder_inputs)
    encoder = keras.Model(encoder_inputs, [z_mean, z_log_var], name="encoder")
    inputs = keras.Input((features,))
    mean, log_var = encoder(inputs)
    codes = keras.layers.Concatenate()([mean, log_var])
    outputs = keras.layers.Dense(features)(codes)
    return keras.Model(inputs, outputs), encoder


def _data(n=30, features=6, classes=3):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, features)).astype("float32")
    labels = np.arange(n) % classes
    return x, labels


def _colours(path):
    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)
    return {tuple(int(v) for v in p) for p in np.unique(pixels, axis=0)}


class TestValidation:
    def test_lengths(self, tmp_path):
        x, labels = _data()
        with pytest.raises(ValueError, match="same length"):
            LatentSpacePlot(x, labels[:-1], tmp_path)

    def test_types(self, tmp_path):
        x, labels = _data()
        with pytest.raises(TypeError, match="dtype int64"):
            LatentSpacePlot(labels[:, None], labels, tmp_path)
        with pytest.raises(TypeError, match="integer class labels"):
            LatentSpacePlot(x, labels.astype("float32"), tmp_path)
        with pytest.raises(TypeError, match="encoder="):
            LatentSpacePlot(x, labels, tmp_path, encoder="encoder")

    def test_ranges(self, tmp_path):
        x, labels = _data()
        with pytest.raises(ValueError, match="projection='tsne'"):
            LatentSpacePlot(x, labels, tmp_path, projection="tsne")
        with pytest.raises(ValueError, match="image_size=64"):
            LatentSpacePlot(x, labels, tmp_path, image_size=64)
        with pytest.raises(ValueError, match="every_n_epochs=0"):
            LatentSpacePlot(x, labels, tmp_path, every_n_epochs=0)
        with pytest.raises(ValueError, match="at least two samples"):
            LatentSpacePlot(x[:1], labels[:1], tmp_path)

    def test_model_without_encoder(self, tmp_path):
        x, labels = _data()
        inputs = keras.Input((6,))
        model = keras.Model(inputs, keras.layers.Dense(6)(inputs))
        plot = LatentSpacePlot(x, labels, tmp_path)
        plot.set_model(model)
        with pytest.raises(ValueError, match="no layer named 'encoder'"):
            plot.on_train_begin()


class TestProjection:
    def test_two_dims_unchanged(self):
        codes = np.random.default_rng(0).normal(size=(10, 2))
        np.testing.assert_array_equal(project_2d(codes), codes)

    def test_first_two_dims(self):
        codes = np.random.default_rng(0).normal(size=(10, 5))
        np.testing.assert_array_equal(project_2d(codes, "first"), codes[:, :2])

    def test_pca_matches_scikit_learn(self):
        from sklearn.decomposition import PCA

        rng = np.random.default_rng(0)
        codes = rng.normal(size=(50, 6)) * np.array([5, 3, 1, 0.5, 0.2, 0.1])
        points = project_2d(codes)
        reference = PCA(n_components=2).fit_transform(codes)
        # Principal components are defined up to their sign.
        for axis in range(2):
            sign = np.sign(points[0, axis] * reference[0, axis])
            np.testing.assert_allclose(
                points[:, axis], sign * reference[:, axis], atol=1e-9
            )
        # The sign is fixed: the same codes, shuffled, give the same points.
        order = rng.permutation(50)
        np.testing.assert_allclose(project_2d(codes[order]), points[order])

    def test_one_dim(self):
        codes = np.arange(4.0)[:, None]
        np.testing.assert_array_equal(
            project_2d(codes), np.stack([np.arange(4.0), np.zeros(4)], 1)
        )


class TestPlot:
    def test_writes_every_n_epochs_with_label_colours(self, tmp_path):
        x, labels = _data()
        model, encoder = _model_with_encoder()
        directory = tmp_path / "latent"
        directory.mkdir()
        (directory / "keep.txt").write_text("x")
        plot = LatentSpacePlot(x, labels, directory, every_n_epochs=2)
        plot.set_model(model)
        plot.on_train_begin()
        for epoch in range(4):
            plot.on_epoch_end(epoch, {})
        assert sorted(os.listdir(directory)) == [
            "keep.txt",
            "latent_space_epoch_0002.png",
            "latent_space_epoch_0004.png",
        ]
        path = directory / "latent_space_epoch_0002.png"
        assert Image.open(path).size == (480, 480)
        colours = _colours(path)
        assert {PALETTE[0], PALETTE[1], PALETTE[2]} <= colours
        assert PALETTE[3] not in colours
        # The plotted codes are the encoder's first output, z_mean.
        np.testing.assert_allclose(
            plot.encode(), keras.ops.convert_to_numpy(encoder(x)[0]), rtol=1e-6
        )

    def test_explicit_encoder_one_hot_labels_and_pca(self, tmp_path):
        x, labels = _data(classes=4)
        model, _ = _model_with_encoder()
        wide = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5)])
        one_hot = np.eye(4, dtype="float32")[labels]
        plot = LatentSpacePlot(
            x, one_hot.astype("int32"), tmp_path, encoder=wide, image_size=200
        )
        plot.set_model(model)
        path = plot.write_plot(0)
        assert Image.open(path).size == (200, 200)
        assert {PALETTE[k] for k in range(4)} <= _colours(path)
        assert plot.encode().shape == (30, 5)

    def test_callable_encoder(self, tmp_path):
        x, labels = _data()
        plot = LatentSpacePlot(x, labels, tmp_path, encoder=lambda v: v[:, :2])
        plot.set_model(_model_with_encoder()[0])
        np.testing.assert_array_equal(plot.encode(), x[:, :2])

    def test_non_chief_worker_writes_nothing(self, tmp_path, monkeypatch):
        monkeypatch.setenv(
            "TF_CONFIG",
            '{"cluster": {"chief": ["localhost:1"], "worker": ["localhost:2"]},'
            ' "task": {"type": "worker", "index": 0}}',
        )
        x, labels = _data()
        plot = LatentSpacePlot(x, labels, tmp_path / "latent")
        plot.set_model(_model_with_encoder()[0])
        assert plot.write_plot(0) is None
        assert not (tmp_path / "latent").exists()

    @pytest.mark.slow
    def test_fit(self, tmp_path):
        x, labels = _data()
        model, _ = _model_with_encoder()
        model.compile(optimizer="sgd", loss="mse")
        plot = LatentSpacePlot(x, labels, tmp_path)
        model.fit(x, x, epochs=2, batch_size=10, verbose=0, callbacks=[plot])
        assert sorted(os.listdir(tmp_path)) == [
            "latent_space_epoch_0001.png",
            "latent_space_epoch_0002.png",
        ]


class TestNestedEncoder:
    def test_finds_the_encoder_of_a_dual_output_model(self, tmp_path):
        from keras_denoise.models import denoise_classifier

        rng = np.random.default_rng(0)
        x = rng.uniform(size=(6, 8, 8, 1)).astype("float32")
        model = denoise_classifier((8, 8, 1), 3)
        encoder = model.get_layer("autoencoder").get_layer("encoder")
        plot = LatentSpacePlot(x, np.arange(6) % 3, tmp_path)
        plot.set_model(model)
        plot.on_train_begin()
        codes = keras.ops.convert_to_numpy(encoder(x))
        np.testing.assert_allclose(
            plot.encode(), codes.reshape(6, -1), rtol=1e-6
        )

    def test_names_the_one_it_picks_among_several(self, tmp_path):
        x, labels = _data()
        first, first_encoder = _model_with_encoder()
        first.name = "first"
        second, _ = _model_with_encoder()
        second.name = "second"
        inputs = keras.Input((6,))
        model = keras.Model(inputs, [first(inputs), second(inputs)])
        plot = LatentSpacePlot(x, labels, tmp_path)
        plot.set_model(model)
        with pytest.warns(UserWarning, match="'first/encoder'") as record:
            plot.on_train_begin()
        assert "second/encoder" in str(record[0].message)
        assert plot._encoder is first_encoder
