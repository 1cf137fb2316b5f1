import os

import keras
import numpy as np
import pytest
from keras import ops

from keras_denoise.callbacks import ImageGrid
from keras_denoise.datasets import load_natural_images
from keras_denoise.models import Noise2Void
from keras_denoise.models import residual_denoiser


def _denoiser(channels=1):
    return residual_denoiser(
        channels=channels, depth=3, filters=4, batch_norm=False
    )


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def _reference_neighbours(image, radius):
    """Neighbourhood values of each pixel of an (h, w, c) image, centre
    excluded, a missing neighbour mirrored across the pixel."""
    h, w, _ = image.shape
    out = []
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if (dy, dx) == (0, 0):
                continue
            rows = np.arange(h) + dy
            rows = np.where((rows < 0) | (rows >= h), np.arange(h) - dy, rows)
            cols = np.arange(w) + dx
            cols = np.where((cols < 0) | (cols >= w), np.arange(w) - dx, cols)
            out.append(image[rows][:, cols])
    return np.stack(out, axis=-1)


class TestBuilding:
    @pytest.mark.parametrize(
        "kwargs, error, match",
        [
            ({"denoiser": "dncnn"}, TypeError, "denoiser='dncnn'"),
            ({"mask_fraction": 0.0}, ValueError, "mask_fraction=0.0"),
            ({"mask_fraction": 1.5}, ValueError, "mask_fraction=1.5"),
            ({"mask_fraction": "1%"}, ValueError, "mask_fraction='1%'"),
            ({"neighborhood_size": 4}, ValueError, "neighborhood_size=4"),
            ({"neighborhood_size": 1}, ValueError, "neighborhood_size=1"),
            ({"replacement": "uniform"}, ValueError, "replacement='uniform'"),
            ({"data_format": "NHWC"}, ValueError, "data_format='NHWC'"),
            ({"seed": -1}, ValueError, "seed=-1"),
        ],
    )
    def test_validates_arguments(self, kwargs, error, match):
        kwargs.setdefault("denoiser", _denoiser())
        with pytest.raises(error, match=match):
            Noise2Void(**kwargs)

    def test_config_round_trip(self):
        wrapper = Noise2Void(
            _denoiser(),
            mask_fraction=0.1,
            neighborhood_size=3,
            replacement="mean",
            seed=4,
            name="n2v",
        )
        config = wrapper.get_config()
        restored = Noise2Void.from_config(config)
        assert restored.get_config().keys() == config.keys()
        for key in ("mask_fraction", "neighborhood_size", "replacement"):
            assert getattr(restored, key) == getattr(wrapper, key)
        assert restored.seed == 4 and restored.name == "n2v"
        assert isinstance(restored.denoiser, keras.Model)

    def test_call_is_the_denoiser(self, images):
        denoiser = _denoiser()
        wrapper = Noise2Void(denoiser, seed=0)
        x = images((8, 8, 1))
        np.testing.assert_array_equal(
            _numpy(wrapper(x)), _numpy(denoiser(x, training=False))
        )


class TestMasking:
    @pytest.mark.parametrize(
        "fraction, box", [(0.02, (7, 7)), (0.1, (3, 3)), (0.5, (1, 2))]
    )
    def test_box_holds_about_one_over_the_fraction(self, fraction, box):
        wrapper = Noise2Void(_denoiser(), mask_fraction=fraction, seed=0)
        assert wrapper.mask_box == box
        assert abs(1 / (box[0] * box[1]) - fraction) / fraction < 0.25

    def test_one_masked_pixel_per_box_partial_boxes_included(self, images):
        wrapper = Noise2Void(_denoiser(), mask_fraction=0.1, seed=3)
        x = images((32, 31, 1), 8)
        _, mask = wrapper.mask_pixels(x)
        mask = _numpy(mask)
        assert mask.shape == (8, 32, 31, 1)
        assert set(np.unique(mask)) <= {0.0, 1.0}
        # 3 x 3 boxes: 11 x 11 of them, the last row and column partial.
        boxes = np.zeros((8, 11, 11))
        b, r, c = np.nonzero(mask[..., 0])
        np.add.at(boxes, (b, r // 3, c // 3), 1)
        np.testing.assert_array_equal(boxes, 1.0)

    def test_position_in_the_box_is_uniform(self, images):
        wrapper = Noise2Void(_denoiser(), mask_fraction=1 / 16, seed=4)
        assert wrapper.mask_box == (4, 4)
        mask = _numpy(wrapper.mask_pixels(images((64, 64, 1), 16))[1])
        b, r, c = np.nonzero(mask[..., 0])
        counts = np.bincount((r % 4) * 4 + c % 4, minlength=16)
        # 4,096 masked pixels over 16 positions: 256 expected each; a
        # chi-square statistic above 50 has probability < 1e-5 (15 dof).
        chi_square = np.sum((counts - 256.0) ** 2 / 256.0)
        assert counts.sum() == 16 * 16 * 16
        assert chi_square < 50.0

    def test_masks_differ_between_calls(self, images):
        wrapper = Noise2Void(_denoiser(), mask_fraction=0.5, seed=3)
        x = images((8, 8, 1))
        first = _numpy(wrapper.mask_pixels(x)[1])
        second = _numpy(wrapper.mask_pixels(x)[1])
        assert not np.array_equal(first, second)

    def test_only_masked_pixels_change_on_every_channel(self, images):
        wrapper = Noise2Void(_denoiser(3), mask_fraction=0.2, seed=5)
        x = images((16, 16, 3))
        masked, mask = wrapper.mask_pixels(x)
        changed = _numpy(masked) != x
        mask = _numpy(mask).astype(bool)
        # Every channel of a masked pixel is replaced; nothing else moves.
        np.testing.assert_array_equal(changed, np.repeat(mask, 3, axis=-1))

    @pytest.mark.parametrize("replacement", ["median", "mean"])
    def test_no_pixel_replaced_by_itself(self, images, replacement):
        # Every pixel masked, borders and corners included: with continuous
        # random values a pixel in its own neighbourhood would show as an
        # unchanged value.
        wrapper = Noise2Void(
            _denoiser(), mask_fraction=1.0, replacement=replacement, seed=0
        )
        x = images((7, 9, 1), 3)
        masked, mask = wrapper.mask_pixels(x)
        assert np.all(_numpy(mask) == 1.0)
        assert np.all(_numpy(masked) != x)

    @pytest.mark.parametrize(
        "replacement, size", [("median", 5), ("mean", 3), ("median", 3)]
    )
    def test_replacement_equals_numpy_reference(
        self, images, replacement, size
    ):
        wrapper = Noise2Void(
            _denoiser(2),
            mask_fraction=1.0,
            neighborhood_size=size,
            replacement=replacement,
            seed=0,
        )
        x = images((7, 6, 2), 2)
        masked, _ = wrapper.mask_pixels(x)
        reduce = np.median if replacement == "median" else np.mean
        expected = np.stack(
            [reduce(_reference_neighbours(im, size // 2), -1) for im in x]
        )
        np.testing.assert_allclose(_numpy(masked), expected, rtol=1e-6)

    def test_channels_first_is_the_transpose(self, images):
        x = images((10, 12, 2))
        last = Noise2Void(_denoiser(2), mask_fraction=0.3, seed=9)
        first_denoiser = keras.Sequential(
            [keras.Input((2, 10, 12)), keras.layers.Identity()]
        )
        first = Noise2Void(
            first_denoiser,
            mask_fraction=0.3,
            data_format="channels_first",
            seed=9,
        )
        masked_last, mask_last = last.mask_pixels(x)
        masked_first, mask_first = first.mask_pixels(x.transpose(0, 3, 1, 2))
        np.testing.assert_array_equal(
            _numpy(masked_first), _numpy(masked_last).transpose(0, 3, 1, 2)
        )
        assert _numpy(mask_first).shape == (4, 1, 10, 12)

    def test_rejects_integer_images(self):
        wrapper = Noise2Void(_denoiser(), seed=0)
        with pytest.raises(TypeError, match="images.dtype=int32"):
            wrapper.mask_pixels(np.zeros((1, 8, 8, 1), "int32"))


class TestLoss:
    def test_loss_equals_numpy_reference_on_masked_pixels(self, images):
        denoiser = _denoiser(2)
        x = images((6, 5, 2), 2)
        reference = Noise2Void(denoiser, mask_fraction=0.3, seed=11)
        masked, mask = reference.mask_pixels(x)
        predictions = _numpy(denoiser(masked))
        mask = _numpy(mask)
        expected = np.sum(mask * (predictions - x) ** 2) / (mask.sum() * 2)
        # A twin with the same seed draws the same mask inside the loss.
        twin = Noise2Void(denoiser, mask_fraction=0.3, seed=11)
        loss = twin.compute_loss(x=ops.convert_to_tensor(x))
        np.testing.assert_allclose(_numpy(loss), expected, rtol=1e-5)

    def test_unmasked_pixels_do_not_count(self, images):
        wrapper = Noise2Void(_denoiser(), mask_fraction=0.3, seed=1)
        x = images((8, 8, 1))
        _, mask = wrapper.mask_pixels(x)
        mask = _numpy(mask)
        predictions = x + 0.1
        # Wildly wrong predictions at unmasked pixels leave the loss as is.
        wrong = np.where(mask > 0, predictions, 100.0).astype("float32")
        loss = _numpy(wrapper.masked_loss(x, predictions, mask))
        np.testing.assert_allclose(loss, 0.01, rtol=1e-4)
        np.testing.assert_allclose(
            _numpy(wrapper.masked_loss(x, wrong, mask)), loss, rtol=1e-6
        )

    def test_compile_with_a_loss_is_refused(self):
        wrapper = Noise2Void(_denoiser())
        with pytest.raises(ValueError, match="loss='mse'"):
            wrapper.compile(optimizer="adam", loss="mse")

    def test_targets_are_refused(self, images):
        wrapper = Noise2Void(_denoiser())
        wrapper.compile(optimizer="adam")
        x = images((8, 8, 1))
        with pytest.raises(ValueError, match="without targets"):
            wrapper.fit(x, x, epochs=1, verbose=0)


class TestSaving:
    @pytest.mark.slow
    def test_keras_round_trip(self, images, assert_round_trip, tmp_path):
        wrapper = Noise2Void(_denoiser(), mask_fraction=0.1, seed=2)
        wrapper.compile(optimizer="adam")
        x = images((8, 8, 1))
        wrapper.fit(x, epochs=1, batch_size=4, verbose=0)
        loaded = assert_round_trip(wrapper, x)
        assert isinstance(loaded, Noise2Void)
        assert loaded.get_config()["mask_fraction"] == 0.1
        # The optimizer comes back and training goes on.
        history = loaded.fit(x, epochs=1, batch_size=4, verbose=0)
        assert np.isfinite(history.history["loss"][0])
        # The trained denoiser alone saves as a plain functional model.
        path = tmp_path / "denoiser.keras"
        wrapper.denoiser.save(path)
        plain = keras.saving.load_model(path)
        np.testing.assert_array_equal(
            plain.predict(x, verbose=0), wrapper.predict(x, verbose=0)
        )


class TestTraining:
    @pytest.mark.slow
    def test_image_grid_shows_noisy_and_denoised(self, images, tmp_path):
        from PIL import Image

        x = images((8, 8, 1), 8)
        wrapper = Noise2Void(_denoiser(), seed=0)
        wrapper.compile(optimizer="adam")
        grid = ImageGrid(x[:3], str(tmp_path), padding=0)
        wrapper.fit(x, epochs=1, batch_size=4, verbose=0, callbacks=[grid])
        picture = np.asarray(
            Image.open(os.path.join(tmp_path, "image_grid_epoch_0001.png"))
        ).astype("float64")
        assert picture.shape == (16, 24)
        denoised = wrapper.denoiser.predict(x[:3], verbose=0)[..., 0]
        expected = np.round(np.clip(denoised, 0, 1) * 255)
        shown = picture[8:].reshape(8, 3, 8).transpose(1, 0, 2)
        assert np.max(np.abs(shown - expected)) <= 1.0

    @pytest.mark.slow
    def test_fit_without_targets_learns_to_denoise(self, psnr):
        image = load_natural_images(["camera"], grayscale=True)["camera"]
        clean = image[:256, :256].reshape(8, 32, 8, 32, 1)
        clean = clean.transpose(0, 2, 1, 3, 4).reshape(64, 32, 32, 1)
        rng = np.random.default_rng(0)
        noisy = (clean + rng.normal(0, 0.1, clean.shape)).astype("float32")
        keras.utils.set_random_seed(0)
        dncnn = residual_denoiser(depth=4, filters=16, batch_norm=False)
        # Without the residual skip: Noise2Void needs a network that does
        # not add its input to its output (see the class docstring).
        plain = keras.Model(dncnn.input, dncnn.get_layer("noise").output)
        wrapper = Noise2Void(plain, mask_fraction=0.05, seed=0)
        wrapper.compile(optimizer=keras.optimizers.Adam(3e-3))
        history = wrapper.fit(noisy, epochs=30, batch_size=16, verbose=0)
        losses = history.history["loss"]
        assert np.mean(losses[-3:]) < 0.7 * losses[0]
        denoised = wrapper.denoiser.predict(noisy, verbose=0)
        # Seeded run: 20.0 dB noisy, above 27 dB denoised.
        assert psnr(clean, denoised) > psnr(clean, noisy) + 4.0
