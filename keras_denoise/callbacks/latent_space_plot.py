"""The `LatentSpacePlot` callback: a 2-D scatter of the latent codes."""

import os

import keras
import numpy as np

from keras_denoise.callbacks._io import is_chief
from keras_denoise.callbacks._io import save_png
from keras_denoise.callbacks._io import validate_directory
from keras_denoise.callbacks._io import validate_filename
from keras_denoise.callbacks._io import validate_positive_int

_PROJECTIONS = ("auto", "first", "pca")

# The "tab10" palette: ten colours that stay distinct for colour-blind eyes.
PALETTE = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)


class LatentSpacePlot(keras.callbacks.Callback):
    """Saves a 2-D scatter plot of the latent codes, coloured by label.

    Every `every_n_epochs` epochs the encoder maps `x` to latent codes and
    the callback draws them as a PNG scatter plot (drawn with Pillow), one
    colour per label, with a legend. Two-dimensional codes are plotted as
    they are; wider codes are projected on their first two principal
    components (PCA by singular value decomposition), or on their first two
    dimensions with `projection="first"`. When the encoder has several
    outputs, such as a VAE encoder's `[z_mean, z_log_var, z]`, the first one
    is plotted (the mean, without sampling noise).

    Files are written atomically and, under
    `tf.distribute.MultiWorkerMirroredStrategy`, by the chief worker only.
    The directory is created if needed and no other file in it is touched.

    Args:
        x: float array of encoder inputs, `(n, ...)`.
        labels: integer labels of `x`, shape `(n,)`, or one-hot `(n, k)`.
        directory: folder of the PNG files. Created if needed.
        every_n_epochs: plot after every this many epochs. Defaults to `1`.
        encoder: the model or layer that maps `x` to latent codes. Defaults
            to `None`: the model's sub-model named `"encoder"`.
        projection: `"auto"` (the codes themselves when they have two
            dimensions, PCA otherwise), `"first"` (first two dimensions) or
            `"pca"`. Defaults to `"auto"`.
        image_size: width and height of the plot in pixels, at least 128.
            Defaults to `480`.
        point_size: radius of the dots in pixels. Defaults to `2`.
        batch_size: batch size of the encoding. Defaults to `256`.
        filename: file-name pattern, formatted with the 1-based `epoch`.
            Defaults to `"latent_space_epoch_{epoch:04d}.png"`.

    Raises:
        TypeError: if `x` is not a float array or `labels` not integers.
        ValueError: if an argument is out of range, the lengths of `x` and
            `labels` differ, or, when training starts, the model has no
            `"encoder"` and none was given.

    Example:

    ```python
    x = np.random.rand(64, 28, 28, 1).astype("float32")
    y = np.random.randint(0, 10, size=64)
    vae = keras_denoise.models.variational_autoencoder((28, 28, 1))
    vae.compile(optimizer="adam")
    plot = keras_denoise.callbacks.LatentSpacePlot(x, y, "latent")
    vae.fit(x, epochs=2, callbacks=[plot])
    ```
    """

    def __init__(
        self,
        x,
        labels,
        directory,
        every_n_epochs=1,
        encoder=None,
        projection="auto",
        image_size=480,
        point_size=2,
        batch_size=256,
        filename="latent_space_epoch_{epoch:04d}.png",
    ):
        super().__init__()
        try:
            x = np.asarray(keras.ops.convert_to_numpy(x))
        except Exception as error:  # noqa: BLE001 - any non-array input.
            raise TypeError(
                "`x` must be a float array. "
                f"Received: x of type {type(x).__name__}"
            ) from error
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(
                f"`x` must be a float array. Received: x with dtype {x.dtype}"
            )
        if x.ndim < 2 or x.shape[0] < 2:
            raise ValueError(
                "`x` must be a batch of at least two samples. "
                f"Received: x with shape {x.shape}"
            )
        labels = np.asarray(keras.ops.convert_to_numpy(labels))
        if labels.ndim == 2:
            labels = np.argmax(labels, axis=-1)
        if labels.ndim != 1 or not (
            np.issubdtype(labels.dtype, np.integer)
            or np.issubdtype(labels.dtype, np.bool_)
        ):
            raise TypeError(
                "`labels` must be integer class labels of shape (n,) or "
                f"one-hot labels of shape (n, k). Received: labels with "
                f"shape {labels.shape} and dtype {labels.dtype}"
            )
        if len(labels) != len(x):
            raise ValueError(
                "`x` and `labels` must have the same length. Received: "
                f"{len(x)} samples and {len(labels)} labels"
            )
        self.x = x
        self.labels = labels.astype("int64")
        self.directory = validate_directory(directory)
        self.every_n_epochs = validate_positive_int(
            every_n_epochs, "every_n_epochs"
        )
        if encoder is not None and not callable(encoder):
            raise TypeError(
                "`encoder` must be a Keras model or layer, or None. "
                f"Received: encoder={encoder!r}"
            )
        self.encoder = encoder
        if projection not in _PROJECTIONS:
            raise ValueError(
                f"`projection` must be one of {_PROJECTIONS}. "
                f"Received: projection={projection!r}"
            )
        self.projection = projection
        self.image_size = validate_positive_int(image_size, "image_size")
        if image_size < 128:
            raise ValueError(
                "`image_size` must be at least 128 pixels. "
                f"Received: image_size={image_size!r}"
            )
        self.point_size = validate_positive_int(point_size, "point_size")
        self.batch_size = validate_positive_int(batch_size, "batch_size")
        self.filename = validate_filename(filename)
        self._encoder = None

    def on_train_begin(self, logs=None):
        self._encoder = self._find_encoder()

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        self.write_plot(epoch)

    def write_plot(self, epoch):
        """Encodes `x` and writes the plot for `epoch`.

        Args:
            epoch: 0-based epoch index; the file name uses `epoch + 1`.

        Returns:
            The path of the PNG file, or `None` on workers other than the
            chief.
        """
        if self._encoder is None:
            self._encoder = self._find_encoder()
        points = project_2d(self.encode(), self.projection)
        if not is_chief(self.model):
            return None
        image = _scatter(
            points,
            self.labels,
            self.image_size,
            self.point_size,
            title=f"epoch {epoch + 1}",
        )
        path = os.path.join(
            self.directory, self.filename.format(epoch=epoch + 1)
        )
        save_png(image, path)
        return path

    def encode(self):
        """The latent codes of `x`, a `(n, latent_dim)` NumPy array."""
        if self._encoder is None:
            self._encoder = self._find_encoder()
        batches = []
        for start in range(0, len(self.x), self.batch_size):
            batch = self.x[start : start + self.batch_size]
            if isinstance(self._encoder, keras.layers.Layer):
                codes = self._encoder(batch, training=False)
            else:
                codes = self._encoder(batch)
            if isinstance(codes, dict):
                codes = codes.get("z_mean", next(iter(codes.values())))
            elif isinstance(codes, (list, tuple)):
                codes = codes[0]
            codes = np.asarray(keras.ops.convert_to_numpy(codes))
            batches.append(codes.reshape((codes.shape[0], -1)))
        return np.concatenate(batches, axis=0)

    def _find_encoder(self):
        if self.encoder is not None:
            return self.encoder
        try:
            return self.model.get_layer("encoder")
        except ValueError as error:
            raise ValueError(
                "LatentSpacePlot needs an encoder: the model "
                f"{self.model.name!r} has no layer named 'encoder'; pass "
                "`encoder=`."
            ) from error


def project_2d(codes, projection="auto"):
    """Projects `(n, d)` codes to `(n, 2)` points for a scatter plot.

    `"auto"` keeps 1- or 2-D codes (1-D codes get a zero second axis) and
    uses PCA for wider ones; `"first"` keeps the first two dimensions;
    `"pca"` projects on the two leading principal components, with the sign
    of each component fixed so that its largest loading is positive.
    """
    codes = np.asarray(codes, dtype="float64")
    if codes.shape[1] < 2:
        return np.concatenate([codes, np.zeros_like(codes)], axis=1)
    if projection == "first" or (projection == "auto" and codes.shape[1] == 2):
        return codes[:, :2].copy()
    centred = codes - codes.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    components = components[:2]
    largest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(2), largest])
    components = components * np.where(signs == 0, 1.0, signs)[:, None]
    return centred @ components.T


def _scatter(points, labels, size, radius, title):
    from PIL import Image
    from PIL import ImageDraw

    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    classes = np.unique(labels)
    legend_width = 70 if len(classes) <= 20 else 0
    left, top = 40, 24
    right, bottom = size - 12 - legend_width, size - 28
    draw.rectangle((left, top, right, bottom), outline=(0, 0, 0))
    finite = np.all(np.isfinite(points), axis=1)
    low = points[finite].min(axis=0) if finite.any() else np.zeros(2)
    high = points[finite].max(axis=0) if finite.any() else np.ones(2)
    span = np.where(high > low, high - low, 1.0)
    low, high = low - 0.05 * span, high + 0.05 * span
    span = high - low
    inner = radius + 1
    xs = (
        left
        + inner
        + (points[:, 0] - low[0]) / span[0] * (right - left - 2 * inner)
    )
    ys = (
        bottom
        - inner
        - (points[:, 1] - low[1]) / span[1] * (bottom - top - 2 * inner)
    )
    for x, y, label, ok in zip(xs, ys, labels, finite, strict=True):
        if ok:
            colour = PALETTE[int(label) % len(PALETTE)]
            draw.ellipse(
                (x - radius, y - radius, x + radius, y + radius), fill=colour
            )
    draw.text((left, 6), title, fill=(0, 0, 0))
    draw.text((left, bottom + 6), f"{low[0]:.3g}", fill=(0, 0, 0))
    draw.text((right - 40, bottom + 6), f"{high[0]:.3g}", fill=(0, 0, 0))
    draw.text((2, bottom - 12), f"{low[1]:.3g}", fill=(0, 0, 0))
    draw.text((2, top), f"{high[1]:.3g}", fill=(0, 0, 0))
    if legend_width:
        for row, label in enumerate(classes):
            y = top + 4 + 16 * row
            colour = PALETTE[int(label) % len(PALETTE)]
            x0 = right + 10
            draw.rectangle((x0, y, x0 + 10, y + 10), fill=colour)
            draw.text((x0 + 16, y - 1), str(int(label)), fill=(0, 0, 0))
    return image
