import os

import keras
import numpy as np
import pytest
from PIL import Image

from keras_denoise.callbacks import ImageGrid
from keras_denoise.layers import AdditiveGaussianNoise

SIZE = 6


def _images(n=4, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(size=(n, SIZE, SIZE, channels)).astype("float32")


def _inverting_model(shape=(SIZE, SIZE, 1)):
    """A model whose reconstruction is `1 - x`, so every row is known."""
    inputs = keras.Input(shape)
    outputs = keras.layers.Rescaling(-1.0, offset=1.0)(inputs)
    return keras.Model(inputs, outputs)


def _dual_output_model(as_dict):
    inputs = keras.Input((SIZE, SIZE, 1))
    denoised = keras.layers.Rescaling(-1.0, offset=1.0, name="denoised")(inputs)
    flat = keras.layers.Flatten()(inputs)
    label = keras.layers.Dense(3, activation="softmax", name="label")(flat)
    # The label output comes first: the callback must find "denoised" by
    # name, not by position.
    outputs = (
        {"label": label, "denoised": denoised} if as_dict else [label, denoised]
    )
    return keras.Model(inputs, outputs)


def _tiles(path, rows, n, size=SIZE, padding=2, scale=1):
    """Cuts the grid PNG back into `(rows, n, size, size, channels)`."""
    grid = np.asarray(Image.open(path))
    if grid.ndim == 2:
        grid = grid[..., None]
    expected_shape = (
        scale * (rows * size + (rows + 1) * padding),
        scale * (n * size + (n + 1) * padding),
    )
    assert grid.shape[:2] == expected_shape
    grid = grid[::scale, ::scale]
    tiles = np.empty((rows, n, size, size, grid.shape[-1]), dtype="uint8")
    for r in range(rows):
        for c in range(n):
            top = padding + r * (size + padding)
            left = padding + c * (size + padding)
            tiles[r, c] = grid[top : top + size, left : left + size]
    return tiles


def _expected(images):
    return np.round(np.clip(images, 0.0, 1.0) * 255.0).astype("uint8")


def _run_epochs(callback, model, epochs):
    """Drives the callback as `fit` does, without the cost of training."""
    callback.set_model(model)
    callback.on_train_begin()
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {})
    callback.on_train_end()


class TestValidation:
    def test_every_n_epochs(self, tmp_path):
        with pytest.raises(ValueError, match="every_n_epochs=0"):
            ImageGrid(_images(), tmp_path, every_n_epochs=0)

    def test_integer_images(self, tmp_path):
        with pytest.raises(TypeError, match="dtype uint8"):
            ImageGrid(np.zeros((2, 4, 4, 1), "uint8"), tmp_path)

    def test_directory_is_a_file(self, tmp_path):
        path = tmp_path / "file.png"
        path.write_bytes(b"x")
        with pytest.raises(ValueError, match="a file with that name exists"):
            ImageGrid(_images(), path)

    def test_directory_type(self):
        with pytest.raises(TypeError, match="directory=3"):
            ImageGrid(_images(), 3)

    def test_pair_and_corruption(self, tmp_path):
        images = _images()
        with pytest.raises(ValueError, match="not both"):
            ImageGrid(
                (images, images),
                tmp_path,
                corruption=AdditiveGaussianNoise(0.1),
            )

    def test_pair_shapes(self, tmp_path):
        with pytest.raises(ValueError, match="same shape"):
            ImageGrid((_images(3), _images(4)), tmp_path)

    def test_corruption_not_callable(self, tmp_path):
        with pytest.raises(TypeError, match="corruption=0.1"):
            ImageGrid(_images(), tmp_path, corruption=0.1)

    def test_filename(self, tmp_path):
        with pytest.raises(ValueError, match="end in '.png'"):
            ImageGrid(_images(), tmp_path, filename="grid_{epoch}.jpg")
        with pytest.raises(ValueError, match="without directories"):
            ImageGrid(_images(), tmp_path, filename="sub/grid_{epoch}.png")
        with pytest.raises(ValueError, match="only field"):
            ImageGrid(_images(), tmp_path, filename="grid_{step}.png")

    def test_channels(self, tmp_path):
        with pytest.raises(ValueError, match="1, 3 or 4 channels"):
            ImageGrid(_images(channels=2), tmp_path)

    def test_flat_images_need_a_shape(self, tmp_path):
        with pytest.raises(ValueError, match="perfect square"):
            ImageGrid(np.zeros((2, 10), "float32"), tmp_path)
        with pytest.raises(ValueError, match="does not match"):
            ImageGrid(
                np.zeros((2, 10), "float32"), tmp_path, image_shape=(3, 3)
            )

    def test_scale_and_padding(self, tmp_path):
        with pytest.raises(ValueError, match="scale=0"):
            ImageGrid(_images(), tmp_path, scale=0)
        with pytest.raises(ValueError, match="padding=-1"):
            ImageGrid(_images(), tmp_path, padding=-1)

    def test_value_range(self, tmp_path):
        with pytest.raises(ValueError, match="value_range"):
            ImageGrid(_images(), tmp_path, value_range=(1.0, 0.0))


class TestGrid:
    def test_rows_clean_and_reconstructed(self, tmp_path):
        images = _images()
        callback = ImageGrid(images, tmp_path)
        _run_epochs(callback, _inverting_model(), epochs=1)
        tiles = _tiles(tmp_path / "image_grid_epoch_0001.png", rows=2, n=4)
        np.testing.assert_array_equal(
            tiles[0, ..., 0], _expected(images[..., 0])
        )
        np.testing.assert_array_equal(
            tiles[1, ..., 0], _expected(1.0 - images[..., 0])
        )

    def test_corrupted_row_is_the_model_input(self, tmp_path):
        images = _images()
        corruption = AdditiveGaussianNoise(0.3, seed=3)
        callback = ImageGrid(images, tmp_path, corruption=corruption)
        _run_epochs(callback, _inverting_model(), epochs=2)
        first = _tiles(tmp_path / "image_grid_epoch_0001.png", rows=3, n=4)
        second = _tiles(tmp_path / "image_grid_epoch_0002.png", rows=3, n=4)
        np.testing.assert_array_equal(
            first[0, ..., 0], _expected(images[..., 0])
        )
        corrupted = first[1].astype("int32")
        # The corruption did change the images...
        assert np.mean(corrupted != first[0]) > 0.5
        # ...and the model reconstructed exactly those corrupted inputs.
        assert np.max(np.abs(first[2] + corrupted - 255)) <= 1
        # The same corrupted inputs are shown at every epoch.
        np.testing.assert_array_equal(first, second)

    def test_callable_corruption_and_pairs(self, tmp_path):
        images = _images()
        callback = ImageGrid(images, tmp_path / "a", corruption=lambda x: x / 2)
        _run_epochs(callback, _inverting_model(), epochs=1)
        tiles = _tiles(tmp_path / "a" / "image_grid_epoch_0001.png", 3, 4)
        np.testing.assert_array_equal(
            tiles[1, ..., 0], _expected(images[..., 0] / 2)
        )

        callback = ImageGrid((images / 2, images), tmp_path / "b")
        _run_epochs(callback, _inverting_model(), epochs=1)
        pairs = _tiles(tmp_path / "b" / "image_grid_epoch_0001.png", 3, 4)
        np.testing.assert_array_equal(pairs, tiles)

    @pytest.mark.parametrize("as_dict", [True, False])
    def test_dual_output_model(self, tmp_path, as_dict):
        images = _images()
        callback = ImageGrid(images, tmp_path)
        _run_epochs(callback, _dual_output_model(as_dict), epochs=1)
        tiles = _tiles(tmp_path / "image_grid_epoch_0001.png", rows=2, n=4)
        np.testing.assert_array_equal(
            tiles[1, ..., 0], _expected(1.0 - images[..., 0])
        )

    def test_output_name(self, tmp_path):
        callback = ImageGrid(_images(), tmp_path, output_name="label")
        callback.set_model(_dual_output_model(as_dict=True))
        # The label output has 3 values per image, not SIZE * SIZE.
        with pytest.raises(ValueError, match="as many values"):
            callback.write_grid(0)
        callback = ImageGrid(_images(), tmp_path, output_name="missing")
        callback.set_model(_dual_output_model(as_dict=False))
        with pytest.raises(ValueError, match="no output named 'missing'"):
            callback.write_grid(0)
        assert os.listdir(tmp_path) == []

    def test_flat_vectors(self, tmp_path):
        images = _images().reshape((4, SIZE * SIZE))
        inputs = keras.Input((SIZE * SIZE,))
        model = keras.Model(
            inputs, keras.layers.Rescaling(-1.0, offset=1.0)(inputs)
        )
        callback = ImageGrid(images, tmp_path)
        _run_epochs(callback, model, epochs=1)
        tiles = _tiles(tmp_path / "image_grid_epoch_0001.png", rows=2, n=4)
        np.testing.assert_array_equal(
            tiles[1, ..., 0], _expected(1.0 - images.reshape((4, SIZE, SIZE)))
        )

    def test_rgb_channels_first_and_scale(self, tmp_path):
        images = _images(n=3, channels=3)
        channels_first = np.moveaxis(images, -1, 1)
        inputs = keras.Input((3, SIZE, SIZE))
        model = keras.Model(
            inputs, keras.layers.Rescaling(-1.0, offset=1.0)(inputs)
        )
        callback = ImageGrid(
            channels_first,
            tmp_path,
            data_format="channels_first",
            scale=3,
            padding=1,
        )
        _run_epochs(callback, model, epochs=1)
        path = tmp_path / "image_grid_epoch_0001.png"
        assert Image.open(path).mode == "RGB"
        tiles = _tiles(path, rows=2, n=3, padding=1, scale=3)
        np.testing.assert_array_equal(tiles[0], _expected(images))
        np.testing.assert_array_equal(tiles[1], _expected(1.0 - images))

    def test_value_range_none_stretches(self, tmp_path):
        images = _images() * 0.5 + 0.25
        callback = ImageGrid(images, tmp_path, value_range=None)
        _run_epochs(callback, _inverting_model(), epochs=1)
        tiles = _tiles(tmp_path / "image_grid_epoch_0001.png", rows=2, n=4)
        low = min(images.min(), 1 - images.max())
        high = max(images.max(), 1 - images.min())
        expected = np.round((images - low) / (high - low) * 255).astype("uint8")
        np.testing.assert_array_equal(tiles[0], expected)


class TestFiles:
    def test_every_n_epochs_and_directory_untouched(self, tmp_path):
        directory = tmp_path / "nested" / "grids"
        directory.mkdir(parents=True)
        (directory / "notes.txt").write_text("keep me")
        (directory / "image_grid_epoch_0001.png").write_bytes(b"old")
        callback = ImageGrid(_images(), directory, every_n_epochs=2)
        _run_epochs(callback, _inverting_model(), epochs=5)
        assert sorted(os.listdir(directory)) == [
            "image_grid_epoch_0001.png",
            "image_grid_epoch_0002.png",
            "image_grid_epoch_0004.png",
            "notes.txt",
        ]
        assert (directory / "notes.txt").read_text() == "keep me"
        assert (directory / "image_grid_epoch_0001.png").read_bytes() == b"old"

    def test_creates_directories(self, tmp_path):
        directory = tmp_path / "a" / "b" / "c"
        callback = ImageGrid(_images(), directory, filename="g{epoch}.png")
        _run_epochs(callback, _inverting_model(), epochs=1)
        assert os.listdir(directory) == ["g1.png"]

    def test_failed_write_leaves_nothing(self, tmp_path, monkeypatch):
        def broken_replace(src, dst):
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", broken_replace)
        callback = ImageGrid(_images(), tmp_path)
        callback.set_model(_inverting_model())
        with pytest.raises(OSError, match="disk full"):
            callback.write_grid(0)
        assert os.listdir(tmp_path) == []

    def test_non_chief_worker_writes_nothing(self, tmp_path, monkeypatch):
        monkeypatch.setenv(
            "TF_CONFIG",
            '{"cluster": {"worker": ["localhost:1", "localhost:2"]}, '
            '"task": {"type": "worker", "index": 1}}',
        )
        callback = ImageGrid(_images(), tmp_path / "grids")
        callback.set_model(_inverting_model())
        assert callback.write_grid(0) is None
        assert not (tmp_path / "grids").exists()

    def test_tensorboard_summary(self, tmp_path):
        import tensorflow as tf

        callback = ImageGrid(
            _images(), tmp_path / "grids", tensorboard_dir=tmp_path / "logs"
        )
        _run_epochs(callback, _inverting_model(), epochs=2)
        events = [
            os.path.join(tmp_path / "logs", name)
            for name in os.listdir(tmp_path / "logs")
        ]
        assert len(events) == 1
        steps = []
        for event in tf.compat.v1.train.summary_iterator(events[0]):
            for value in event.summary.value:
                assert value.tag == "image_grid"
                assert value.metadata.plugin_data.plugin_name == "images"
                width, height, png = value.tensor.string_val
                png_file = (
                    tmp_path
                    / "grids"
                    / (f"image_grid_epoch_{event.step:04d}.png")
                )
                assert png == png_file.read_bytes()
                assert (int(width), int(height)) == Image.open(png_file).size
                steps.append(event.step)
        assert steps == [1, 2]


@pytest.mark.slow
def test_fit_with_autoencoder(tmp_path):
    keras.utils.set_random_seed(0)
    images = _images(n=16)
    inputs = keras.Input((SIZE, SIZE, 1))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    outputs = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    callback = ImageGrid(
        images[:5], tmp_path, corruption=AdditiveGaussianNoise(0.2, seed=1)
    )
    model.fit(
        images, images, epochs=2, batch_size=8, verbose=0, callbacks=[callback]
    )
    names = sorted(os.listdir(tmp_path))
    assert names == ["image_grid_epoch_0001.png", "image_grid_epoch_0002.png"]
    tiles = _tiles(tmp_path / names[1], rows=3, n=5)
    expected = model.predict(callback._corrupted, verbose=0)
    np.testing.assert_allclose(tiles[2], _expected(expected), atol=1)
