import keras
import numpy as np
import pytest

from keras_denoise.layers import AdditiveGaussianNoise
from keras_denoise.models import dense_autoencoder


@pytest.mark.parametrize(
    "input_shape", [(8, 8, 1), (6, 5, 3), (8, 8), (12,)], ids=str
)
def test_builds_for_documented_shapes(input_shape):
    model = dense_autoencoder(input_shape, hidden_units=(16, 8), latent_dim=4)
    assert model.input.shape == (None, *input_shape)
    assert model.output.shape == (None, *input_shape)
    assert model.get_layer("encoder").output.shape == (None, 4)
    assert model.get_layer("decoder").output.shape == (None, *input_shape)
    # Sigmoid reconstruction: outputs in [0, 1].
    x = np.random.default_rng(0).normal(size=(3, *input_shape)) * 10
    y = model.predict(x, verbose=0)
    assert y.min() >= 0.0 and y.max() <= 1.0


def test_empty_hidden_units_gives_linear_encoder():
    model = dense_autoencoder((4, 4, 1), hidden_units=(), latent_dim=3)
    dense = [
        layer
        for layer in model.get_layer("encoder").layers
        if isinstance(layer, keras.layers.Dense)
    ]
    assert [layer.units for layer in dense] == [3]


def test_decoder_generates_alone(images):
    model = dense_autoencoder((8, 8, 3), hidden_units=(16,), latent_dim=4)
    codes = np.zeros((2, 4), dtype="float32")
    out = model.get_layer("decoder").predict(codes, verbose=0)
    assert out.shape == (2, 8, 8, 3)


@pytest.mark.slow
@pytest.mark.parametrize("channels", [1, 3])
def test_trains_one_step(channels, images, assert_trains):
    x = images((8, 8, channels))
    model = dense_autoencoder(
        x.shape[1:],
        hidden_units=(16,),
        latent_dim=4,
        corruption=AdditiveGaussianNoise(0.2, seed=1),
    )
    assert_trains(model, x, x, loss="binary_crossentropy")


def test_save_load_round_trip(images, assert_round_trip):
    x = images((8, 8, 1))
    model = dense_autoencoder(
        (8, 8, 1),
        hidden_units=(16,),
        latent_dim=4,
        corruption=AdditiveGaussianNoise(0.2, seed=1),
        name="dae",
    )
    loaded = assert_round_trip(model, x)
    assert loaded.get_layer("encoder").name == "encoder"
    assert isinstance(
        loaded.get_layer("additive_gaussian_noise"), AdditiveGaussianNoise
    )


def test_corruption_inactive_at_inference(images):
    x = images((8, 8, 1))
    clean = dense_autoencoder((8, 8, 1), (8,), 2, activation="tanh")
    noisy = dense_autoencoder(
        (8, 8, 1),
        (8,),
        2,
        activation="tanh",
        corruption=AdditiveGaussianNoise(0.5, seed=1),
    )
    noisy.set_weights(clean.get_weights())
    np.testing.assert_array_equal(
        clean.predict(x, verbose=0), noisy.predict(x, verbose=0)
    )
    assert not np.allclose(
        keras.ops.convert_to_numpy(noisy(x, training=True)),
        keras.ops.convert_to_numpy(clean(x, training=True)),
        atol=1e-4,
    )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"input_shape": 8}, TypeError, "input_shape=8"),
        ({"input_shape": (8, 0, 1)}, ValueError, r"input_shape=\(8, 0, 1\)"),
        ({"input_shape": (None, 8, 1)}, TypeError, "positive integers"),
        ({"input_shape": (2, 8, 8, 1)}, ValueError, "length 1 to 3"),
        ({"hidden_units": (16, 0)}, ValueError, r"hidden_units=\(16, 0\)"),
        ({"hidden_units": 16}, TypeError, "hidden_units=16"),
        ({"latent_dim": 0}, ValueError, "latent_dim=0"),
        ({"latent_dim": 2.5}, TypeError, "latent_dim=2.5"),
        ({"activation": "nope"}, ValueError, "activation='nope'"),
        ({"output_activation": "x"}, ValueError, "output_activation='x'"),
        ({"corruption": "noise"}, TypeError, "corruption='noise'"),
        ({"name": ""}, ValueError, "name=''"),
    ],
)
def test_validates_arguments(kwargs, error, match):
    kwargs = {"input_shape": (8, 8, 1), **kwargs}
    with pytest.raises(error, match=match):
        dense_autoencoder(**kwargs)
