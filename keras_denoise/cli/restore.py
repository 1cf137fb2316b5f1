"""How the command line restores one image file with a model."""

from keras_denoise.cli._runtime import CLIError
from keras_denoise.cli._runtime import image_input_shape

# Tiles of fully convolutional models: large photographs fit in memory,
# and an overlap of 64 pixels joins them exactly for receptive fields of
# up to 16 pixels around each output (see `predict_tiled`).
TILE_SIZE = 256
TILE_OVERLAP = 64


def denoise_array(
    model,
    image,
    batch_size=4,
    tile=TILE_SIZE,
    progress=None,
    self_ensemble=False,
):
    """Denoises one float image `(h, w, c)` of any size with `model`, or a
    batch `(n, h, w, c)` of images of one size.

    Channels are adapted (a gray model denoises each color channel; a
    color model gets a gray image repeated and returns its mean); an alpha
    channel is kept as it is. The model runs on overlapping blended tiles
    (`keras_denoise.inference.predict_tiled`): of its input size for
    fixed-size models, of `tile` pixels for fully convolutional ones.
    `progress(fraction)`, when given, is called with the fraction of the
    work done after each batch of tiles. `self_ensemble=True` averages the
    eight flips and rotations of each image (eight times the work).
    """
    import numpy as np

    from keras_denoise.inference import predict_tiled

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
        size, overlap = tile, min(TILE_OVERLAP, tile // 2)
    else:
        if height_in != width_in:
            raise CLIError(
                "models with a non-square fixed input size are not "
                f"supported by `denoise` (input {height_in}x{width_in})"
            )
        size, overlap = height_in, height_in // 4

    def report(index):
        if progress is None:
            return None
        return lambda done, total: progress(
            (index + done / total) / len(planes)
        )

    outputs = [
        predict_tiled(
            model,
            plane.astype("float32", copy=False),
            tile_size=size,
            overlap=overlap,
            batch_size=batch_size,
            self_ensemble=self_ensemble,
            progress=report(index),
        )
        for index, plane in enumerate(planes)
    ]
    if model_channels == 1:
        result = np.concatenate(outputs, axis=-1)
    elif channels == 1:
        result = outputs[0].mean(axis=-1, keepdims=True)
    else:
        result = outputs[0]
    result = np.clip(result, 0.0, 1.0, out=result)
    if alpha is not None:
        result = np.concatenate([result, alpha], axis=-1)
    return result


def denoise_batch(model, images, batch_size=4):
    """`denoise_array` over a batch of images of one size: restores them
    the way `denoise` writes them (for `evaluate_corruptions`'s
    `predict_fn`). Images no larger than a tile run through the model
    together, many per call."""
    if max(images.shape[1:3]) <= TILE_SIZE:
        batch_size = max(batch_size, len(images))
    return denoise_array(model, images, batch_size=batch_size)
