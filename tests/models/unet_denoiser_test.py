import keras
import numpy as np
import pytest

from keras_denoise.layers import AdditiveGaussianNoise
from keras_denoise.models import CropToMatch
from keras_denoise.models import unet_denoiser


@pytest.mark.parametrize("channels", [1, 3])
def test_any_image_size(channels, images):
    model = unet_denoiser(channels=channels, filters=(4, 8, 8))
    assert model.input.shape == (None, None, None, channels)
    # Odd sizes round up at each stride-2 convolution and are cropped back.
    for size in [(8, 8), (13, 6), (5, 21), (1, 1)]:
        out = model.predict(images((*size, channels), 2), verbose=0)
        assert out.shape == (2, *size, channels)


def test_scales_and_blocks():
    model = unet_denoiser(filters=(4, 8, 16), blocks=2)
    downs = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D)
        and layer.strides == (2, 2)
        and not isinstance(layer, keras.layers.Conv2DTranspose)
    ]
    ups = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2DTranspose)
    ]
    assert [d.filters for d in downs] == [8, 16]
    assert [u.filters for u in ups] == [8, 4]
    # Two blocks per scale on each side and two at the lowest scale, each
    # ending in an Add; plus one Add per skip connection.
    adds = [
        layer for layer in model.layers if isinstance(layer, keras.layers.Add)
    ]
    assert len(adds) == 2 * 2 + 2 + 2 * 2 + 2


def test_output_is_input_minus_predicted_noise(images):
    model = unet_denoiser(filters=(4, 8))
    x = images((6, 10, 1), 2)
    noise_model = keras.Model(model.input, model.get_layer("noise").output)
    np.testing.assert_allclose(
        model.predict(x, verbose=0),
        x - noise_model.predict(x, verbose=0),
        atol=1e-6,
    )


def test_noise_level_input_changes_the_output(images):
    model = unet_denoiser(filters=(4, 8), noise_level_input=True)
    assert [tuple(i.shape) for i in model.inputs] == [
        (None, None, None, 1),
        (None, None, None, 1),
    ]
    x = images((12, 12, 1), 2)
    low = model.predict([x, np.zeros_like(x)], verbose=0)
    high = model.predict([x, np.full_like(x, 0.2)], verbose=0)
    assert low.shape == x.shape
    assert np.abs(low - high).max() > 1e-4


def test_crop_to_match():
    x = np.arange(2 * 5 * 7 * 3, dtype="float32").reshape(2, 5, 7, 3)
    reference = np.zeros((2, 4, 6, 1), "float32")
    out = keras.ops.convert_to_numpy(CropToMatch()([x, reference]))
    np.testing.assert_array_equal(out, x[:, :4, :6, :])


@pytest.mark.slow
@pytest.mark.parametrize("channels", [1, 3])
def test_trains_one_step(channels, images, assert_trains):
    x = images((8, 8, channels))
    model = unet_denoiser(
        channels=channels,
        filters=(4, 8),
        corruption=AdditiveGaussianNoise(0.1, seed=0),
    )
    assert_trains(model, x, x, loss="mse")


def test_save_load_round_trip(images, assert_round_trip):
    model = unet_denoiser(
        channels=3,
        filters=(4, 8, 8),
        corruption=AdditiveGaussianNoise((0.0, 0.2), seed=0),
    )
    assert_round_trip(model, images((9, 7, 3)))


def test_save_load_round_trip_with_noise_level(images, tmp_path):
    model = unet_denoiser(filters=(4, 8), noise_level_input=True)
    x = images((9, 11, 1), 2)
    level = np.full_like(x, 0.1)
    path = tmp_path / "unet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        model.predict([x, level], verbose=0),
        loaded.predict([x, level], verbose=0),
    )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"channels": 0}, ValueError, "channels=0"),
        ({"filters": ()}, ValueError, r"filters=\(\)"),
        ({"filters": (8, 0)}, ValueError, r"filters=\(8, 0\)"),
        ({"blocks": 0}, ValueError, "blocks=0"),
        ({"kernel_size": 0}, ValueError, "kernel_size=0"),
        ({"noise_level_input": 1}, TypeError, "noise_level_input=1"),
        ({"corruption": object}, TypeError, "corruption="),
        (
            {
                "noise_level_input": True,
                "corruption": AdditiveGaussianNoise(0.1),
            },
            ValueError,
            "noise_level_input=True",
        ),
    ],
)
def test_validates_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        unet_denoiser(**kwargs)
