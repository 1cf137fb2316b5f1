"""Quiet imports, model files and tiled inference for the command line."""

import os
import zipfile


class CLIError(Exception):
    """An error reported as one line, without a traceback."""


def import_keras():
    """Imports Keras (and its backend) without start-up log lines."""
    from keras_denoise_cli import quiet_import_keras

    return quiet_import_keras()


def load_model(path):
    """Loads a `.keras` file, turning every failure into a `CLIError`."""
    if not os.path.exists(path):
        raise CLIError(f"model file not found: {path}")
    if os.path.isdir(path):
        raise CLIError(f"model path is a directory, not a .keras file: {path}")
    if not zipfile.is_zipfile(path):
        raise CLIError(f"not a Keras model file (.keras zip archive): {path}")
    keras = import_keras()
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001 - any corrupt-file error
        detail = str(error).strip().splitlines()
        detail = detail[0] if detail else type(error).__name__
        raise CLIError(f"cannot load model {path}: {detail}") from None
    if not isinstance(model, keras.Model):
        raise CLIError(f"{path} holds no Keras model")
    return model


def image_input_shape(model, path="model"):
    """`(height, width, channels)` of an image model's input (None = any)."""
    inputs = model.inputs if getattr(model, "inputs", None) else None
    if not inputs or len(inputs) != 1:
        raise CLIError(f"{path} is not an image model (it needs one input)")
    shape = tuple(inputs[0].shape)
    if len(shape) != 4 or shape[-1] not in (1, 3):
        raise CLIError(
            f"{path} is not an image model: its input shape is {shape}, "
            "expected (batch, height, width, 1 or 3)"
        )
    return shape[1:]


def save_model_atomic(model, path):
    """Saves `model` to `path` through a temporary file and a rename."""
    from keras_denoise._utils import atomic_path

    with atomic_path(path, suffix=".keras") as temp_path:
        model.save(temp_path)


def denoise_array(model, image, batch_size=4, tile=256):
    """Denoises one float image `(h, w, c)` of any size with `model`.

    Channels are adapted (a gray model denoises each color channel; a
    color model gets a gray image repeated and returns its mean); an alpha
    channel is kept as it is. Fixed-size models run on overlapping tiles
    of their input size; fully convolutional ones on tiles of `tile`
    pixels with a margin, so large photographs fit in memory.
    """
    import numpy as np

    from keras_denoise.evaluation import predict_images

    height_in, width_in, model_channels = image_input_shape(model)
    alpha = None
    if image.shape[-1] in (2, 4):
        image, alpha = image[..., :-1], image[..., -1:]
    channels = image.shape[-1]
    if model_channels == 1:
        planes = [image[..., i : i + 1] for i in range(channels)]
    elif channels == 1:
        planes = [np.repeat(image, 3, axis=-1)]
    else:
        planes = [image]
    if height_in is None or width_in is None:
        size, margin = tile, 16
    else:
        size, margin = min(height_in, width_in), 0
        if height_in != width_in:
            raise CLIError(
                "models with a non-square fixed input size are not "
                f"supported by `denoise` (input {height_in}x{width_in})"
            )
    outputs = []
    for plane in planes:
        outputs.append(
            _tiled(model, plane, size, margin, batch_size, predict_images, np)
        )
    if model_channels == 1:
        result = np.concatenate(outputs, axis=-1)
    elif channels == 1:
        result = outputs[0].mean(axis=-1, keepdims=True)
    else:
        result = outputs[0]
    result = np.clip(result, 0.0, 1.0)
    if alpha is not None:
        result = np.concatenate([result, alpha], axis=-1)
    return result


class TiledModel:
    """A model run on whole images the way `denoise` runs it.

    For `evaluate_corruptions` on full-size files: `predict` restores each
    image with `denoise_array` (tiles of 256 pixels with a mirrored margin
    for fully convolutional models), so a large photograph is scored whole
    without holding the activations of the whole image, and the figures are
    those of the images `denoise` would write.
    """

    output_names = ("denoised",)

    def __init__(self, model, batch_size=4):
        self.model = model
        self.batch_size = batch_size

    def predict(self, images, batch_size=None, verbose=0):
        import numpy as np

        return np.stack(
            [
                denoise_array(self.model, image, batch_size=self.batch_size)
                for image in images
            ]
        )


def _tiled(model, image, size, margin, batch_size, predict_images, np):
    """Runs `model` on `size`-square tiles (inner part `size - 2*margin`)."""
    height, width = image.shape[:2]
    step = size - 2 * margin
    if margin and height <= size and width <= size:
        # Small image, fully convolutional model: one pass. Mirror the
        # borders as the tiles do, and pad to a multiple of 16 so strided
        # models get whole feature maps.
        pad_h = margin + (-(height + 2 * margin)) % 16
        pad_w = margin + (-(width + 2 * margin)) % 16
        padded = np.pad(
            image, ((margin, pad_h), (margin, pad_w), (0, 0)), "symmetric"
        )
        out = predict_images(model, padded[None], batch_size)[0]
        return out[margin : margin + height, margin : margin + width]
    rows = max(1, -(-height // step))
    cols = max(1, -(-width // step))
    pad_h = rows * step - height + 2 * margin
    pad_w = cols * step - width + 2 * margin
    padded = np.pad(
        image,
        ((margin, pad_h - margin), (margin, pad_w - margin), (0, 0)),
        "symmetric",
    )
    tiles, places = [], []
    for r in range(rows):
        for c in range(cols):
            tiles.append(
                padded[r * step : r * step + size, c * step : c * step + size]
            )
            places.append((r * step, c * step))
    out = np.zeros((rows * step, cols * step, image.shape[-1]), "float32")
    for start in range(0, len(tiles), batch_size):
        batch = np.stack(tiles[start : start + batch_size])
        predicted = predict_images(model, batch, batch_size)
        for (top, left), tile in zip(
            places[start : start + batch_size], predicted, strict=True
        ):
            inner = tile[margin : margin + step, margin : margin + step]
            out[top : top + step, left : left + step] = inner
    return out[:height, :width]
