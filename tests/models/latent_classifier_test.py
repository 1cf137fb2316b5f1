import keras
import numpy as np
import pytest

from keras_denoise.models import conv_autoencoder
from keras_denoise.models import dense_autoencoder
from keras_denoise.models import latent_classifier
from keras_denoise.models import variational_autoencoder


@pytest.mark.parametrize("channels", [1, 3])
def test_on_dense_code(channels):
    autoencoder = dense_autoencoder((8, 8, channels), (16,), latent_dim=4)
    encoder = autoencoder.get_layer("encoder")
    model = latent_classifier(encoder, 3, hidden_units=(8, 6))
    assert model.input.shape == (None, 8, 8, channels)
    assert model.output.shape == (None, 3)
    # A frozen copy: the caller's encoder stays trainable.
    copy = model.get_layer("encoder")
    assert copy is not encoder and not copy.trainable
    assert encoder.trainable
    for a, b in zip(copy.weights, encoder.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_leaves_the_callers_autoencoder_trainable(tmp_path, images):
    autoencoder = dense_autoencoder((8, 8, 1), (16,), latent_dim=4)
    latent_classifier(autoencoder.get_layer("encoder"), 3)
    autoencoder.save(tmp_path / "autoencoder.keras")
    loaded = keras.saving.load_model(tmp_path / "autoencoder.keras")
    assert loaded.get_layer("encoder").trainable
    assert len(loaded.trainable_weights) == len(autoencoder.weights)


def test_unfrozen_encoder_is_shared():
    encoder = dense_autoencoder((8, 8, 1), (16,), 4).get_layer("encoder")
    model = latent_classifier(encoder, 3, freeze_encoder=False)
    assert model.get_layer("encoder") is encoder


def test_on_spatial_code_is_flattened():
    encoder = conv_autoencoder((8, 8, 1), filters=(2,)).get_layer("encoder")
    model = latent_classifier(encoder, 2, hidden_units=())
    assert model.get_layer("flatten").output.shape == (None, 4 * 4 * 2)


def test_on_vae_encoder_uses_z_mean(images):
    vae = variational_autoencoder(
        (8, 8, 1), latent_dim=3, filters=(4,), hidden_units=(8,), seed=1
    )
    encoder = vae.get_layer("encoder")
    model = latent_classifier(encoder, 2, hidden_units=())
    x = images((8, 8, 1))
    z_mean = encoder.predict(x, verbose=0)[0]
    head = model.get_layer("probabilities")
    kernel, bias = (w.numpy() for w in head.weights)
    logits = z_mean @ kernel + bias
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    # Deterministic although the encoder samples z: it uses z_mean.
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("freeze", [True, False])
def test_trains_one_step(freeze, images, assert_trains):
    # Seeded weights and a tanh code: a ReLU code can be zero for all six
    # images, and with balanced labels every gradient is then exactly zero.
    keras.utils.set_random_seed(0)
    x = images((8, 8, 3), 6)
    y = np.array([0, 0, 0, 1, 1, 2])
    autoencoder = dense_autoencoder((8, 8, 3), (8,), 4, activation="tanh")
    encoder = autoencoder.get_layer("encoder")
    frozen = [w.numpy() for w in encoder.weights]
    model = latent_classifier(encoder, 3, freeze_encoder=freeze, dropout=0.2)
    assert_trains(model, x, y, loss="sparse_categorical_crossentropy")
    unchanged = all(
        np.array_equal(a, w.numpy())
        for a, w in zip(frozen, model.get_layer("encoder").weights, strict=True)
    )
    assert unchanged == freeze
    # The caller's encoder moves only when it is shared (not frozen).
    assert (
        all(
            np.array_equal(a, w.numpy())
            for a, w in zip(frozen, encoder.weights, strict=True)
        )
        == freeze
    )


def test_save_load_round_trip(images, assert_round_trip):
    vae = variational_autoencoder(
        (8, 8, 1), latent_dim=2, filters=(4,), hidden_units=(8,), seed=1
    )
    model = latent_classifier(vae.get_layer("encoder"), 3)
    loaded = assert_round_trip(model, images((8, 8, 1)))
    assert not loaded.get_layer("encoder").trainable


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"encoder": "vae"}, TypeError, "encoder='vae'"),
        ({"num_classes": 1}, ValueError, "num_classes=1"),
        ({"hidden_units": (8, -1)}, ValueError, r"hidden_units=\(8, -1\)"),
        ({"freeze_encoder": "yes"}, TypeError, "freeze_encoder='yes'"),
        ({"dropout": 2}, ValueError, "dropout=2"),
    ],
)
def test_validates_arguments(kwargs, error, match):
    encoder = dense_autoencoder((4, 4, 1), (4,), 2).get_layer("encoder")
    kwargs = {"encoder": encoder, "num_classes": 3, **kwargs}
    with pytest.raises(error, match=match):
        latent_classifier(**kwargs)
