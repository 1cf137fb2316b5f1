import re

import keras
import numpy as np
import pytest

from keras_denoise.layers import AdditiveGaussianNoise
from keras_denoise.models import backbone_autoencoder


def small_backbone(input_shape, halvings=2, flatten=False):
    layers = [keras.Input(input_shape)]
    for _ in range(halvings):
        layers.append(
            keras.layers.Conv2D(4, 3, strides=2, padding="same", use_bias=0)
        )
    if flatten:
        layers.append(keras.layers.GlobalAveragePooling2D())
    return keras.Sequential(layers, name="backbone")


def test_mobilenet_backbone():
    backbone = keras.applications.MobileNetV2(
        weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.35
    )
    model = backbone_autoencoder(backbone)
    assert model.output.shape == (None, 32, 32, 3)
    encoder = model.get_layer("encoder")
    assert encoder.get_layer(backbone.name) is backbone
    assert encoder.output.shape == (None, 1, 1, 1280)
    decoder = model.get_layer("decoder")
    transposed = [
        layer
        for layer in decoder.layers
        if isinstance(layer, keras.layers.Conv2DTranspose)
    ]
    assert len(transposed) == 5


@pytest.mark.parametrize(
    "input_shape, halvings",
    [((8, 8, 1), 2), ((16, 16, 3), 3), ((28, 28, 1), 3), ((12, 20, 3), 2)],
    ids=str,
)
def test_decoder_restores_the_input_size(input_shape, halvings):
    model = backbone_autoencoder(small_backbone(input_shape, halvings))
    assert model.output.shape == (None, *input_shape)
    assert model.get_layer("decoder").output.shape == (None, *input_shape)


def test_vector_backbone_and_output_channels(images):
    model = backbone_autoencoder(
        small_backbone((12, 12, 3), flatten=True), output_channels=1
    )
    assert model.get_layer("encoder").output.shape == (None, 1, 1, 4)
    assert model.predict(images((12, 12, 3), 2), verbose=0).shape == (
        2,
        12,
        12,
        1,
    )


def test_input_shape_for_a_backbone_of_any_size():
    backbone = keras.Sequential(
        [
            keras.Input((None, None, 3)),
            keras.layers.Conv2D(4, 3, strides=2, padding="same"),
        ]
    )
    with pytest.raises(ValueError, match="pass `input_shape`"):
        backbone_autoencoder(backbone)
    model = backbone_autoencoder(backbone, input_shape=(6, 6, 3))
    assert model.output.shape == (None, 6, 6, 3)


@pytest.mark.slow
@pytest.mark.parametrize("channels", [1, 3])
def test_trains_one_step(channels, images, assert_trains):
    x = images((8, 8, channels))
    model = backbone_autoencoder(
        small_backbone(x.shape[1:]),
        decoder_filters=(8, 4),
        corruption=AdditiveGaussianNoise(0.1, seed=0),
    )
    assert_trains(model, x, x, loss="mse")


def test_save_load_round_trip(images, assert_round_trip):
    model = backbone_autoencoder(
        small_backbone((10, 10, 3), 2), decoder_filters=(8, 4)
    )
    loaded = assert_round_trip(model, images((10, 10, 3)))
    assert loaded.get_layer("encoder").get_layer("backbone") is not None


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"backbone": "mobilenet"}, TypeError, "backbone='mobilenet'"),
        ({"input_shape": (8, 8)}, ValueError, r"input_shape=\(8, 8\)"),
        ({"decoder_filters": (8,)}, ValueError, "needs 2"),
        ({"decoder_filters": (8, 0)}, ValueError, r"decoder_filters=\(8, 0\)"),
        ({"output_channels": 0}, ValueError, "output_channels=0"),
        ({"kernel_size": 0}, ValueError, "kernel_size=0"),
        ({"activation": "bad"}, ValueError, "activation='bad'"),
        ({"corruption": 1}, TypeError, "corruption=1"),
    ],
)
def test_validates_arguments(kwargs, error, match):
    kwargs = {"backbone": small_backbone((8, 8, 1)), **kwargs}
    with pytest.raises(error, match=match):
        backbone_autoencoder(**kwargs)


@pytest.mark.parametrize(
    "backbone_shape, input_shape",
    [
        ((32, 32, 3), (32, 32, 1)),
        ((32, 32, 3), (28, 28, 3)),
        ((None, None, 3), (16, 16, 1)),
        ((16, None, 1), (8, 16, 1)),
    ],
    ids=str,
)
def test_rejects_input_shape_the_backbone_does_not_take(
    backbone_shape, input_shape
):
    backbone = small_backbone(backbone_shape)
    expected = re.escape(
        f"`input_shape` must match the backbone's input shape "
        f"{backbone_shape} (None: any size). "
        f"Received: input_shape={input_shape}"
    )
    with pytest.raises(ValueError, match=expected):
        backbone_autoencoder(backbone, input_shape=input_shape)


def test_input_shape_may_fill_the_backbone_s_free_dims():
    model = backbone_autoencoder(
        small_backbone((16, None, 1)), input_shape=(16, 8, 1)
    )
    assert model.output.shape == (None, 16, 8, 1)


def test_rejects_a_backbone_without_an_image_input():
    backbone = keras.Sequential([keras.Input((64,)), keras.layers.Dense(4)])
    with pytest.raises(ValueError, match=r"input shape \(64,\)"):
        backbone_autoencoder(backbone, input_shape=(8, 8, 1))


def test_mismatch_is_caught_before_a_mobilenet_backbone_is_called():
    # A 3-channel MobileNetV2 given 1-channel images: rejected up front
    # instead of building and failing at `predict`.
    backbone = keras.applications.MobileNetV2(
        weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.35
    )
    with pytest.raises(ValueError, match=r"input_shape=\(32, 32, 1\)"):
        backbone_autoencoder(backbone, input_shape=(32, 32, 1))
    with pytest.raises(ValueError, match=r"shape \(32, 32, 3\)"):
        backbone_autoencoder(backbone, input_shape=(28, 28, 3))


def test_rejects_backbones_with_several_outputs():
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(2, 3, strides=2)(inputs)
    two_outputs = keras.Model(inputs, [x, x])
    with pytest.raises(ValueError, match="single output"):
        backbone_autoencoder(two_outputs)
    sequence = keras.Model(inputs, keras.layers.Reshape((8, 8))(inputs))
    with pytest.raises(ValueError, match="feature map"):
        backbone_autoencoder(sequence)


def test_decoded_size_is_exact_for_odd_sizes(images):
    model = backbone_autoencoder(small_backbone((7, 9, 1), 2))
    out = model.predict(images((7, 9, 1), 1), verbose=0)
    assert out.shape == (1, 7, 9, 1)
    assert np.all((out >= 0) & (out <= 1))
