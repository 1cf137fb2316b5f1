import keras
import numpy as np
import pytest

from keras_denoise.layers import AdditiveGaussianNoise
from keras_denoise.models import residual_denoiser


@pytest.mark.parametrize("channels", [1, 3])
def test_any_image_size(channels, images):
    model = residual_denoiser(channels=channels, depth=4, filters=8)
    assert model.input.shape == (None, None, None, channels)
    for size in [(8, 8), (13, 6), (5, 21)]:
        out = model.predict(images((*size, channels), 2), verbose=0)
        assert out.shape == (2, *size, channels)


def test_layer_structure_follows_dncnn():
    model = residual_denoiser(depth=5, filters=8)
    convs = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D)
    ]
    assert [c.filters for c in convs] == [8, 8, 8, 8, 1]
    bns = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert len(bns) == 3
    assert len(residual_denoiser(depth=5, batch_norm=False).layers) == 10


def test_output_is_input_minus_predicted_noise(images):
    model = residual_denoiser(depth=3, filters=4)
    x = images((6, 6, 1), 2)
    noise_model = keras.Model(model.input, model.get_layer("noise").output)
    np.testing.assert_allclose(
        model.predict(x, verbose=0),
        x - noise_model.predict(x, verbose=0),
        atol=1e-6,
    )


@pytest.mark.slow
@pytest.mark.parametrize("channels", [1, 3])
def test_trains_one_step(channels, images, assert_trains):
    x = images((8, 8, channels))
    model = residual_denoiser(
        channels=channels,
        depth=4,
        filters=8,
        corruption=AdditiveGaussianNoise(0.1, seed=0),
    )
    assert_trains(model, x, x, loss="mse")


def test_save_load_round_trip(images, assert_round_trip):
    model = residual_denoiser(
        channels=3,
        depth=4,
        filters=8,
        corruption=AdditiveGaussianNoise((0.0, 0.2), seed=0),
    )
    assert_round_trip(model, images((9, 7, 3)))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"channels": 0}, ValueError, "channels=0"),
        ({"depth": 1}, ValueError, "depth=1"),
        ({"depth": "17"}, TypeError, "depth='17'"),
        ({"filters": -4}, ValueError, "filters=-4"),
        ({"kernel_size": 0}, ValueError, "kernel_size=0"),
        ({"batch_norm": 1}, TypeError, "batch_norm=1"),
        ({"corruption": object}, TypeError, "corruption="),
    ],
)
def test_validates_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        residual_denoiser(**kwargs)
