"""The `LatentSpacePlot` callback: a 2-D scatter of the latent codes."""

import os
import warnings

import keras
import numpy as np

from keras_denoise._layers import walk_layers
from keras_denoise._validation import check_int
from keras_denoise.callbacks._io import is_chief
from keras_denoise.callbacks._io import validate_directory
from keras_denoise.callbacks._io import validate_filename

_PROJECTIONS = ("auto", "first", "pca")


class LatentSpacePlot(keras.callbacks.Callback):
    """Saves a 2-D scatter plot of the latent codes, coloured by label.

    Every `every_n_epochs` epochs the encoder maps `x` to latent codes and
    the callback draws them as a PNG scatter plot (drawn with Pillow), one
    colour per label, with a legend. Two-dimensional codes are plotted as
    they are; wider codes are projected on their first two principal
    components (PCA by singular value decomposition), or on their first two
    dimensions with `projection="first"`; the plot is drawn by
    `keras_denoise.visualization.latent_scatter`. When the encoder has several
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
            to `None`: the model's sub-model named `"encoder"`, looked up
            through nested models too (the one inside a dual-output
            model's autoencoder, say). When several nested models are named
            `"encoder"`, the shallowest comes first and a warning names the
            one used.
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
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs)
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
        self.image_size = check_int("image_size", image_size)
        if image_size < 128:
            raise ValueError(
                "`image_size` must be at least 128 pixels. "
                f"Received: image_size={image_size!r}"
            )
        self.point_size = check_int("point_size", point_size)
        self.batch_size = check_int("batch_size", batch_size)
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
        # Drawing code lives in `keras_denoise.visualization`, imported here
        # so that `import keras_denoise` does not import it.
        from keras_denoise.visualization import latent_scatter

        codes = self.encode()
        if not is_chief(self.model):
            return None
        path = os.path.join(
            self.directory, self.filename.format(epoch=epoch + 1)
        )
        latent_scatter(
            codes,
            self.labels,
            path=path,
            size=self.image_size,
            point_radius=self.point_size,
            projection=self.projection,
            title=f"epoch {epoch + 1}",
            legend=True,
        )
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
        found = [
            (path, layer)
            for path, layer in walk_layers(self.model)
            if layer.name == "encoder"
        ]
        if not found:
            raise ValueError(
                "LatentSpacePlot needs an encoder: the model "
                f"{self.model.name!r} has no layer named 'encoder', nested "
                "models included; pass `encoder=`."
            )
        if len(found) > 1:
            paths = [path for path, _ in found]
            warnings.warn(
                f"LatentSpacePlot: the model {self.model.name!r} has "
                f"{len(found)} layers named 'encoder' ({', '.join(paths)}); "
                f"plotting the codes of {paths[0]!r}. Pass `encoder=` to "
                "choose another.",
                stacklevel=2,
            )
        return found[0][1]
