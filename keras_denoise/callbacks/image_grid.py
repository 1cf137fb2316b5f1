"""The `ImageGrid` callback: clean / corrupted / reconstructed images."""

import math
import numbers
import os

import keras
import numpy as np

from keras_denoise._files import write_bytes_atomic
from keras_denoise._images import encode_png
from keras_denoise._images import tile_rows
from keras_denoise._layers import apply_corruption
from keras_denoise._validation import check_int
from keras_denoise._validation import validate_data_format
from keras_denoise._validation import validate_value_range
from keras_denoise.callbacks._io import is_chief
from keras_denoise.callbacks._io import validate_directory
from keras_denoise.callbacks._io import validate_filename

# Output names looked for, in order, when a model has several outputs.
_RECONSTRUCTION_NAMES = ("denoised", "reconstruction", "decoder")


class ImageGrid(keras.callbacks.Callback):
    """Saves a PNG grid of clean, corrupted and reconstructed images.

    Every `every_n_epochs` epochs the model reconstructs the given images
    and the callback writes one PNG whose rows are the clean images, the
    corrupted images fed to the model (when there are any) and the model's
    reconstructions, one column per image. It works for autoencoders,
    variational autoencoders and dual-output models: when the model has
    several outputs it shows the one named `output_name`, else the one named
    `"denoised"` (or `"reconstruction"`), else the first output with the
    shape of the input.

    The corrupted images are made once, at the start of training, so that
    every grid shows the same inputs. The model runs in inference mode
    (`training=False`), so corruption layers inside the model are inactive:
    pass the corruption to apply with `corruption` or pass the pairs
    `(corrupted, clean)` as `images`.

    Files are written atomically (a temporary file in the same directory,
    then a rename) and, under `tf.distribute.MultiWorkerMirroredStrategy`,
    by the chief worker only; every worker still runs the model so that
    their random states stay in step. The directory is created if needed
    and no other file in it is touched.

    Args:
        images: float array of clean images: a batch `(n, height, width,
            channels)` (`(n, channels, height, width)` with
            `data_format="channels_first"`), `(n, height, width)`, or flat
            vectors `(n, features)` shown with `image_shape`. It may also be
            a pair `(corrupted, clean)` of such arrays, in which case
            `corruption` must be `None`.
        directory: folder of the PNG files. Created if needed.
        every_n_epochs: write a grid after every this many epochs.
            Defaults to `1`.
        corruption: a corruption layer (anything with a `corrupt(images)`
            method, such as `keras_denoise.layers.AdditiveGaussianNoise`),
            another layer, called with `training=True`, or a callable
            applied to `images` to make the model's inputs. `None` feeds the
            clean images and leaves the corrupted row out. Defaults to
            `None`.
        tensorboard_dir: if given, the grid is also written as an image
            summary to a TensorBoard log directory (TensorFlow is imported
            for this only; viewing it needs TensorBoard, which TensorFlow
            no longer installs: `pip install "keras-denoise[tensorboard]"`).
            Defaults to `None`.
        output_name: name of the model output to show, for models with
            several outputs. Defaults to `None` (see above).
        image_shape: `(height, width)` or `(height, width, channels)` used
            to show flat vectors as images. Defaults to `None`: square
            single-channel images.
        value_range: `(min, max)` of the pixel values, mapped to black and
            white; `None` scales each grid by its own minimum and maximum.
            Defaults to `(0.0, 1.0)`.
        data_format: `"channels_last"` or `"channels_first"`, the layout of
            `images`. Defaults to `keras.config.image_data_format()`.
        scale: integer magnification of the grid (nearest neighbour), handy
            for tiny images. Defaults to `1`.
        padding: pixels of white space between images. Defaults to `2`.
        batch_size: batch size of the reconstruction. Defaults to `32`.
        filename: file-name pattern, formatted with the 1-based `epoch`.
            Defaults to `"image_grid_epoch_{epoch:04d}.png"`.

    Raises:
        TypeError: if `images` are not float arrays or `corruption` is not
            callable.
        ValueError: if an argument is out of range or the image shapes do
            not fit.

    Example:

    ```python
    x = np.random.rand(64, 28, 28, 1).astype("float32")
    model = keras_denoise.models.conv_autoencoder((28, 28, 1))
    model.compile(optimizer="adam", loss="mse")
    grid = keras_denoise.callbacks.ImageGrid(
        x[:8],
        "grids",
        corruption=keras_denoise.layers.AdditiveGaussianNoise(0.2, seed=1),
    )
    model.fit(x, x, epochs=2, callbacks=[grid])
    ```
    """

    def __init__(
        self,
        images,
        directory,
        every_n_epochs=1,
        corruption=None,
        tensorboard_dir=None,
        output_name=None,
        image_shape=None,
        value_range=(0.0, 1.0),
        data_format=None,
        scale=1,
        padding=2,
        batch_size=32,
        filename="image_grid_epoch_{epoch:04d}.png",
    ):
        super().__init__()
        self.directory = validate_directory(directory)
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs)
        if corruption is not None and not callable(corruption):
            raise TypeError(
                "`corruption` must be a layer or a callable, or None. "
                f"Received: corruption={corruption!r}"
            )
        self.corruption = corruption
        self.tensorboard_dir = (
            None
            if tensorboard_dir is None
            else validate_directory(tensorboard_dir, "tensorboard_dir")
        )
        if output_name is not None and not isinstance(output_name, str):
            raise TypeError(
                "`output_name` must be a string or None. "
                f"Received: output_name={output_name!r}"
            )
        self.output_name = output_name
        self.image_shape = _validate_image_shape(image_shape)
        self.value_range = validate_value_range(value_range)
        self.data_format = validate_data_format(data_format)
        self.scale = check_int("scale", scale)
        if (
            isinstance(padding, bool)
            or not isinstance(padding, numbers.Integral)
            or padding < 0
        ):
            raise ValueError(
                "`padding` must be a non-negative integer. "
                f"Received: padding={padding!r}"
            )
        self.padding = int(padding)
        self.batch_size = check_int("batch_size", batch_size)
        self.filename = validate_filename(filename)

        if isinstance(images, tuple):
            if len(images) != 2:
                raise ValueError(
                    "`images` given as a tuple must be the pair "
                    "(corrupted, clean). Received a tuple of "
                    f"{len(images)} items."
                )
            if corruption is not None:
                raise ValueError(
                    "Pass either `images=(corrupted, clean)` or a "
                    "`corruption`, not both. "
                    f"Received: corruption={corruption!r}"
                )
            corrupted = _validate_images(images[0], "images[0]")
            clean = _validate_images(images[1], "images[1]")
            if corrupted.shape != clean.shape:
                raise ValueError(
                    "The corrupted and clean images of `images` must have "
                    f"the same shape. Received: {corrupted.shape} and "
                    f"{clean.shape}"
                )
            self.images = clean
            self._corrupted = corrupted
        else:
            self.images = _validate_images(images, "images")
            self._corrupted = None
        # Fails now, not after the first epoch, if the images cannot be
        # shown.
        self._to_display(self.images)
        self._writer = None

    def on_train_begin(self, logs=None):
        if self._corrupted is None and self.corruption is not None:
            self._corrupted = self._corrupt(self.images)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        self.write_grid(epoch)

    def write_grid(self, epoch):
        """Reconstructs the images and writes the grid for `epoch`.

        Args:
            epoch: 0-based epoch index; the file name uses `epoch + 1`.

        Returns:
            The path of the PNG file, or `None` on workers other than the
            chief.
        """
        if self._corrupted is None and self.corruption is not None:
            self._corrupted = self._corrupt(self.images)
        inputs = self.images if self._corrupted is None else self._corrupted
        reconstructed = self._reconstruct(inputs)
        rows = [self.images]
        if self._corrupted is not None:
            rows.append(self._corrupted)
        rows.append(reconstructed)
        rows = [self._to_display(row) for row in rows]
        grid = tile_rows(rows, self.value_range, self.padding)
        if self.scale > 1:
            grid = np.repeat(np.repeat(grid, self.scale, 0), self.scale, 1)
        if not is_chief(self.model):
            return None
        path = os.path.join(
            self.directory, self.filename.format(epoch=epoch + 1)
        )
        png = encode_png(grid)
        write_bytes_atomic(path, png)
        if self.tensorboard_dir is not None:
            self._write_summary(png, grid.shape[1], grid.shape[0], epoch + 1)
        return path

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _corrupt(self, images):
        corrupted = apply_corruption(self.corruption, images)
        if corrupted.shape != images.shape:
            raise ValueError(
                "`corruption` must keep the shape of the images. Received "
                f"images of shape {images.shape}, corrupted to shape "
                f"{corrupted.shape}"
            )
        return corrupted.astype(images.dtype, copy=False)

    def _reconstruct(self, inputs):
        batches = []
        for start in range(0, len(inputs), self.batch_size):
            outputs = self.model(
                inputs[start : start + self.batch_size], training=False
            )
            batches.append(
                np.asarray(keras.ops.convert_to_numpy(self._select(outputs)))
            )
        reconstructed = np.concatenate(batches, axis=0)
        if reconstructed.size != inputs.size:
            raise ValueError(
                "The model's reconstruction must have as many values as its "
                f"input. Received inputs of shape {inputs.shape} and "
                f"outputs of shape {reconstructed.shape}"
            )
        return reconstructed.reshape(inputs.shape)

    def _select(self, outputs):
        if isinstance(outputs, dict):
            names, values = list(outputs.keys()), list(outputs.values())
        elif isinstance(outputs, (list, tuple)):
            values = list(outputs)
            names = list(getattr(self.model, "output_names", None) or [])
            if len(names) != len(values):
                names = [None] * len(values)
        else:
            if self.output_name is not None:
                names = list(getattr(self.model, "output_names", None) or [])
                if self.output_name not in names:
                    raise ValueError(
                        f"The model has no output named "
                        f"{self.output_name!r}. Its outputs: {names}"
                    )
            return outputs
        if self.output_name is not None:
            if self.output_name not in names:
                raise ValueError(
                    f"The model has no output named {self.output_name!r}. "
                    f"Its outputs: {names}"
                )
            return values[names.index(self.output_name)]
        for name in _RECONSTRUCTION_NAMES:
            if name in names:
                return values[names.index(name)]
        for value in values:
            if tuple(value.shape[1:]) == self.images.shape[1:]:
                return value
        raise ValueError(
            "Could not find the reconstruction among the model's outputs "
            f"{names}: name it 'denoised' or pass `output_name`."
        )

    def _to_display(self, images):
        """Converts a batch to `(n, height, width, channels)` float images."""
        images = np.asarray(images, dtype="float32")
        if images.ndim == 2:
            shape = self.image_shape
            if shape is None:
                side = math.isqrt(images.shape[1])
                if side * side != images.shape[1]:
                    raise ValueError(
                        "Flat `images` need `image_shape` unless their size "
                        "is a perfect square. Received images of shape "
                        f"{images.shape}"
                    )
                shape = (side, side)
            if math.prod(shape) != images.shape[1]:
                raise ValueError(
                    f"`image_shape` {shape} does not match flat images of "
                    f"shape {images.shape}"
                )
            images = images.reshape((images.shape[0], *shape))
            if images.ndim == 3:
                images = images[..., None]
            return images
        if images.ndim == 3:
            return images[..., None]
        if self.data_format == "channels_first":
            images = np.moveaxis(images, 1, -1)
        if images.shape[-1] not in (1, 3, 4):
            raise ValueError(
                "Images must have 1, 3 or 4 channels to be shown. Received "
                f"images of shape {images.shape} with "
                f"data_format={self.data_format!r}"
            )
        return images

    def _write_summary(self, png, width, height, step):
        # `tf.summary.image` needs the TensorBoard package; this writes the
        # same record (the image plugin's format: width, height, then the
        # encoded PNG) with TensorFlow alone.
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.tensorboard_dir)
        metadata = tf.compat.v1.SummaryMetadata()
        metadata.plugin_data.plugin_name = "images"
        metadata.summary_description = (
            "Rows: clean, corrupted (when given) and reconstructed images."
        )
        tensor = tf.constant([str(width), str(height), png], dtype=tf.string)
        with self._writer.as_default():
            tf.summary.write("image_grid", tensor, step=step, metadata=metadata)
        self._writer.flush()


def _validate_images(images, name):
    try:
        array = np.asarray(keras.ops.convert_to_numpy(images))
    except Exception as error:  # noqa: BLE001 - any non-array input.
        raise TypeError(
            f"`{name}` must be an array of float images. "
            f"Received: {name} of type {type(images).__name__}"
        ) from error
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"`{name}` must be float images (scale integer images to "
            f"floats first). Received: {name} with dtype {array.dtype}"
        )
    if array.ndim not in (2, 3, 4) or array.shape[0] < 1:
        raise ValueError(
            f"`{name}` must be a non-empty batch of rank 2, 3 or 4. "
            f"Received: {name} with shape {array.shape}"
        )
    return array


def _validate_image_shape(image_shape):
    if image_shape is None:
        return None
    if (
        not isinstance(image_shape, (list, tuple))
        or len(image_shape) not in (2, 3)
        or not all(
            isinstance(d, numbers.Integral)
            and not isinstance(d, bool)
            and d > 0
            for d in image_shape
        )
        or (len(image_shape) == 3 and image_shape[2] not in (1, 3, 4))
    ):
        raise ValueError(
            "`image_shape` must be (height, width) or (height, width, "
            "channels) with positive sizes and 1, 3 or 4 channels. "
            f"Received: image_shape={image_shape!r}"
        )
    return tuple(int(d) for d in image_shape)
