import keras
import numpy as np
import pytest

from keras_denoise.layers import AdditiveGaussianNoise
from keras_denoise.layers import SamplingLayer
from keras_denoise.layers import VariationalLossLayer
from keras_denoise.models import variational_autoencoder

SMALL = {"filters": (4, 8), "hidden_units": (8,)}


@pytest.mark.parametrize("architecture", ["conv", "dense"])
@pytest.mark.parametrize("input_shape", [(8, 8, 1), (10, 6, 3)], ids=str)
def test_builds_for_documented_shapes(input_shape, architecture):
    model = variational_autoencoder(
        input_shape, latent_dim=3, architecture=architecture, **SMALL
    )
    assert model.output.shape == (None, *input_shape)
    encoder = model.get_layer("encoder")
    assert [tuple(t.shape) for t in encoder.outputs] == [(None, 3)] * 3
    assert encoder.output_names == ["z_mean", "z_log_var", "z"]
    assert isinstance(encoder.get_layer("z"), SamplingLayer)
    decoder = model.get_layer("decoder")
    assert decoder.input.shape == (None, 3)
    assert decoder.output.shape == (None, *input_shape)
    assert isinstance(model.get_layer("vae_loss"), VariationalLossLayer)


def test_decoder_generates_images_alone():
    model = variational_autoencoder((9, 9, 1), latent_dim=2, **SMALL)
    z = keras.random.normal((5, 2), seed=1)
    images = model.get_layer("decoder").predict(z, verbose=0)
    assert images.shape == (5, 9, 9, 1)
    assert images.min() >= 0.0 and images.max() <= 1.0


def test_loss_weights_and_reconstruction_reach_the_loss_layer():
    model = variational_autoencoder(
        (8, 8, 1), loss_weights=(2.0, 0.5), reconstruction="mse", **SMALL
    )
    layer = model.get_layer("vae_loss")
    assert layer.loss_weights == (2.0, 0.5)
    assert layer.reconstruction == "mse"


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["conv", "dense"])
@pytest.mark.parametrize("channels", [1, 3])
def test_trains_with_optimizer_alone(architecture, channels, images):
    x = images((8, 8, channels), 8)
    model = variational_autoencoder(
        (8, 8, channels),
        architecture=architecture,
        corruption=AdditiveGaussianNoise(0.1, seed=1),
        seed=2,
        **SMALL,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(x, epochs=1, batch_size=8, verbose=0).history
    assert {"loss", "reconstruction_loss", "kl_loss"} <= set(history)
    # loss = 1 * reconstruction + 1 * KL, both logged unweighted.
    np.testing.assert_allclose(
        history["loss"][0],
        history["reconstruction_loss"][0] + history["kl_loss"][0],
        rtol=1e-5,
    )


def test_save_load_round_trip(images, tmp_path):
    x = images((10, 10, 3))
    model = variational_autoencoder(
        (10, 10, 3),
        loss_weights=(1.0, 0.25),
        corruption=AdditiveGaussianNoise(0.2, seed=1),
        seed=3,
        **SMALL,
    )
    path = tmp_path / "vae.keras"
    # Saved before sampling anything: the sampling layer's random state is
    # not part of the file, a loaded model starts from its `seed`.
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), loaded.predict(x, verbose=0)
    )
    assert loaded.get_layer("vae_loss").loss_weights == (1.0, 0.25)
    for name in ["encoder", "decoder"]:
        assert loaded.get_layer(name).name == name


@pytest.mark.slow
def test_save_load_after_training_keeps_the_deterministic_parts(
    images, tmp_path
):
    x = images((8, 8, 1), 8)
    model = variational_autoencoder((8, 8, 1), seed=4, **SMALL)
    model.compile(optimizer="adam")
    model.fit(x, epochs=1, verbose=0)
    model.save(tmp_path / "vae.keras")
    loaded = keras.saving.load_model(tmp_path / "vae.keras")
    for original, restored in zip(
        model.get_layer("encoder").predict(x, verbose=0)[:2],
        loaded.get_layer("encoder").predict(x, verbose=0)[:2],
        strict=True,
    ):
        np.testing.assert_array_equal(original, restored)
    z = np.linspace(-2, 2, 8, dtype="float32").reshape(4, 2)
    np.testing.assert_array_equal(
        model.get_layer("decoder").predict(z, verbose=0),
        loaded.get_layer("decoder").predict(z, verbose=0),
    )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"input_shape": (8, 8)}, ValueError, r"input_shape=\(8, 8\)"),
        ({"input_shape": (None, 8, 1)}, TypeError, "positive integers"),
        ({"latent_dim": 0}, ValueError, "latent_dim=0"),
        ({"architecture": "resnet"}, ValueError, "architecture='resnet'"),
        ({"filters": []}, ValueError, r"filters=\[\]"),
        ({"hidden_units": (0,)}, ValueError, r"hidden_units=\(0,\)"),
        ({"loss_weights": (1.0, -1.0)}, ValueError, "loss_weights"),
        ({"loss_weights": 1.0}, TypeError, "loss_weights=1.0"),
        ({"reconstruction": "huber"}, ValueError, "reconstruction='huber'"),
        ({"seed": -1}, ValueError, "seed=-1"),
        ({"corruption": "gaussian"}, TypeError, "corruption='gaussian'"),
        ({"output_activation": "nope"}, ValueError, "output_activation"),
    ],
)
def test_validates_arguments(kwargs, error, match):
    kwargs = {"input_shape": (8, 8, 1), **kwargs}
    with pytest.raises(error, match=match):
        variational_autoencoder(**kwargs)


@pytest.mark.slow
def test_learns_to_generate_digits(digits16):
    (x, y), _ = digits16
    keras.utils.set_random_seed(0)
    model = variational_autoencoder(
        (16, 16, 1),
        latent_dim=2,
        filters=(16, 32),
        hidden_units=(64,),
        corruption=AdditiveGaussianNoise(0.3, seed=1),
        seed=1,
    )
    model.compile(keras.optimizers.Adam(3e-3))
    history = model.fit(x, epochs=12, batch_size=32, verbose=0).history
    # Measured: loss 139 -> 102, KL grows from ~0 to ~3.4 nats.
    assert history["loss"][-1] < 0.8 * history["loss"][0]
    assert history["kl_loss"][-1] > 0.5

    samples = model.get_layer("decoder").predict(
        keras.random.normal((300, 2), seed=5), verbose=0
    )
    class_means = np.stack([x[y == k].mean(axis=0) for k in range(10)])

    def nearest_mean(images):
        distances = np.sum(
            (images[:, None] - class_means[None]) ** 2, axis=(2, 3, 4)
        )
        return distances.min(axis=1), distances.argmin(axis=1)

    sample_distance, sample_class = nearest_mean(samples)
    flat_distance, _ = nearest_mean(np.full_like(samples, x.mean()))
    # Measured: samples 2.7 from the nearest digit mean (held-out digits:
    # 7.9, flat gray images: 20.0, uniform noise: 50), 8 of the 10 digits
    # each nearest to 25-60 of the 300 samples; mean intensity 0.30 (0.31).
    assert np.mean(sample_distance) < 0.4 * np.mean(flat_distance)
    counts = np.bincount(sample_class, minlength=10)
    assert np.sum(counts >= 10) >= 6
    assert abs(samples.mean() - x.mean()) < 0.05
