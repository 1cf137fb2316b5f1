import keras
import numpy as np
import pytest

from keras_denoise.layers import AdditiveGaussianNoise
from keras_denoise.models import conv_autoencoder


@pytest.mark.parametrize("downsampling", ["strided", "pooling", "none"])
@pytest.mark.parametrize("latent_dim", [None, 5])
@pytest.mark.parametrize("input_shape", [(8, 8, 1), (12, 10, 3)], ids=str)
def test_builds_for_documented_shapes(input_shape, latent_dim, downsampling):
    model = conv_autoencoder(
        input_shape,
        filters=(4, 8),
        latent_dim=latent_dim,
        downsampling=downsampling,
    )
    assert model.output.shape == (None, *input_shape)
    code_shape = model.get_layer("encoder").output.shape
    if latent_dim is not None:
        assert code_shape == (None, 5)
    elif downsampling == "none":
        assert code_shape == (None, *input_shape[:2], 8)
    else:
        # Padded to a multiple of 4 before two halvings.
        height, width = (-(-size // 4) for size in input_shape[:2])
        assert code_shape == (None, height, width, 8)
    decoder = model.get_layer("decoder")
    assert decoder.input.shape == code_shape
    assert decoder.output.shape == (None, *input_shape)


@pytest.mark.parametrize("downsampling", ["strided", "pooling"])
def test_pads_and_crops_sizes_that_do_not_divide(downsampling, images):
    # 28 is not a multiple of 2**3: padded to 32 inside, cropped back.
    model = conv_autoencoder(
        (28, 27, 1), filters=(2, 2, 2), downsampling=downsampling
    )
    assert model.get_layer("encoder").output.shape == (None, 4, 4, 2)
    assert model.predict(images((28, 27, 1), 2), verbose=0).shape == (
        2,
        28,
        27,
        1,
    )


def test_fully_convolutional_without_downsampling(images):
    model = conv_autoencoder((None, None, 3), filters=(4,), downsampling="none")
    for size in [(5, 7), (9, 4)]:
        out = model.predict(images((*size, 3), 1), verbose=0)
        assert out.shape == (1, *size, 3)


@pytest.mark.slow
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("latent_dim", [None, 4])
def test_trains_one_step(channels, latent_dim, images, assert_trains):
    x = images((8, 8, channels))
    model = conv_autoencoder(
        x.shape[1:],
        filters=(4, 8),
        latent_dim=latent_dim,
        corruption=AdditiveGaussianNoise(0.2, seed=1),
    )
    assert_trains(model, x, x, loss="mse")


@pytest.mark.parametrize("downsampling", ["strided", "pooling"])
def test_save_load_round_trip(downsampling, images, assert_round_trip):
    x = images((10, 10, 3))
    model = conv_autoencoder(
        (10, 10, 3),
        filters=(4, 8),
        latent_dim=3,
        downsampling=downsampling,
        corruption=AdditiveGaussianNoise((0.1, 0.3), seed=2),
    )
    loaded = assert_round_trip(model, x)
    assert {"encoder", "decoder"} <= {layer.name for layer in loaded.layers}
    np.testing.assert_array_equal(
        loaded.get_layer("encoder").predict(x, verbose=0),
        model.get_layer("encoder").predict(x, verbose=0),
    )


@pytest.mark.parametrize(
    "downsampling, upsampling, down_layer, up_layer",
    [
        ("pooling", "transposed", "MaxPooling2D", "Conv2DTranspose"),
        ("strided", "upsampling", "Conv2D", "UpSampling2D"),
        ("strided", None, "Conv2D", "Conv2DTranspose"),
        ("pooling", None, "MaxPooling2D", "UpSampling2D"),
    ],
)
def test_upsampling_is_independent_of_downsampling(
    downsampling, upsampling, down_layer, up_layer, images, assert_round_trip
):
    model = conv_autoencoder(
        (10, 10, 1),
        filters=(4, 8),
        downsampling=downsampling,
        upsampling=upsampling,
    )
    encoder_types = {
        type(layer).__name__ for layer in model.get_layer("encoder").layers
    }
    decoder_types = [
        type(layer).__name__ for layer in model.get_layer("decoder").layers
    ]
    assert down_layer in encoder_types
    assert decoder_types.count(up_layer) == 2
    assert model.output.shape == (None, 10, 10, 1)
    other = {"Conv2DTranspose", "UpSampling2D"} - {up_layer}
    assert not other & set(decoder_types)
    if upsampling is not None:
        assert_round_trip(model, images((10, 10, 1)))


def test_dense_bottleneck():
    model = conv_autoencoder((8, 8, 1), filters=(4, 8), latent_dim=5)
    assert model.get_layer("encoder").output.shape == (None, 5)
    assert model.get_layer("encoder").get_layer("code").units == 5


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"upsampling": "bilinear"}, ValueError, "upsampling='bilinear'"),
        (
            {"upsampling": "transposed", "downsampling": "none"},
            ValueError,
            "upsampling='transposed'",
        ),
        ({"input_shape": (8, 8)}, ValueError, r"input_shape=\(8, 8\)"),
        ({"input_shape": [8, -8, 1]}, ValueError, r"input_shape=\[8, -8, 1\]"),
        ({"input_shape": (None, 8, 1)}, ValueError, "defined height"),
        ({"input_shape": (8, 8, None)}, TypeError, "positive integers"),
        ({"filters": ()}, ValueError, r"filters=\(\)"),
        ({"filters": (4, 2.0)}, TypeError, r"filters=\(4, 2.0\)"),
        ({"latent_dim": -1}, ValueError, "latent_dim=-1"),
        ({"downsampling": "avg"}, ValueError, "downsampling='avg'"),
        ({"kernel_size": 0}, ValueError, "kernel_size=0"),
        ({"activation": "bad"}, ValueError, "activation='bad'"),
        ({"corruption": 0.3}, TypeError, "corruption=0.3"),
    ],
)
def test_validates_arguments(kwargs, error, match):
    kwargs = {"input_shape": (8, 8, 1), **kwargs}
    with pytest.raises(error, match=match):
        conv_autoencoder(**kwargs)


def test_undefined_size_needs_fully_convolutional_model():
    with pytest.raises(ValueError, match="defined height and width"):
        conv_autoencoder((None, None, 1), downsampling="none", latent_dim=4)


@pytest.mark.slow
def test_denoises_noisy_digits(digits16, noisy_test_digits, psnr):
    # Noise sigma=0.3 injected by the model's own corruption layer during
    # fit; held-out digits corrupted with the same noise (other seed).
    (x, _), _ = digits16
    noisy, clean, _ = noisy_test_digits
    keras.utils.set_random_seed(0)
    model = conv_autoencoder(
        (16, 16, 1),
        filters=(16, 32),
        corruption=AdditiveGaussianNoise(0.3, seed=1),
    )
    model.compile(keras.optimizers.Adam(3e-3), loss="binary_crossentropy")
    model.fit(x, x, epochs=10, batch_size=32, verbose=0)
    gain = psnr(clean, model.predict(noisy, verbose=0)) - psnr(clean, noisy)
    # Measured: noisy 12.7 dB, denoised 21.4 dB, gain 8.6 dB.
    assert gain > 6.0
