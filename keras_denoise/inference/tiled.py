"""`predict_tiled`: a denoiser on images of any size, in blended tiles."""

import numpy as np

from keras_denoise._validation import check_int

DEFAULT_TILE_SIZE = 256


def _input_size(model):
    """`(height, width)` of a model's image input; `None` for a free side."""
    inputs = getattr(model, "inputs", None)
    if not inputs or len(inputs) != 1 or len(inputs[0].shape) != 4:
        raise ValueError(
            "`model` must take one batch of images (batch, height, width, "
            "channels). Received a model with inputs "
            f"{[tuple(x.shape) for x in inputs or []]}"
        )
    return tuple(inputs[0].shape[1:3])


def _positions(length, tile, step):
    """Start of each tile along one axis: every `step`, the last one
    flush with the end, so every tile is whole."""
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return starts


def _ramp(tile, overlap, first, last):
    """Blending weights of one tile along one axis.

    Next to a side shared with another tile, the outer quarter of the
    overlap gets no weight (those pixels see the tile's border, where a
    convolution pads with zeros instead of the neighbouring pixels), the
    middle half rises along a raised cosine and the rest is one. Sides on
    the image's border keep full weight.
    """
    weights = np.ones(tile, "float64")
    cut, rise = overlap // 4, overlap - 2 * (overlap // 4)
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(rise) + 0.5) / max(rise, 1))
    side = np.concatenate([np.zeros(cut), ramp])[:tile]
    if not first:
        weights[: len(side)] *= side
    if not last:
        weights[tile - len(side) :] *= side[::-1]
    return weights


def _predict_batch(model, tiles, batch_size):
    from keras_denoise.evaluation import predict_images

    return predict_images(model, np.stack(tiles), batch_size)


class _Progress:
    def __init__(self, total, verbose, callback):
        self.total, self.done, self.callback = total, 0, callback
        self.bar = None
        if verbose:
            import keras

            self.bar = keras.utils.Progbar(total, unit_name="tile")

    def add(self, count):
        self.done += count
        if self.bar is not None:
            self.bar.add(count)
        if self.callback is not None:
            self.callback(self.done, self.total)


def _tiled_image(model, image, tile, overlap, fixed, batch_size, progress):
    """One image `(h, w, c)` restored in blended tiles."""
    height, width = image.shape[:2]
    pad_h, pad_w = max(0, tile - height), max(0, tile - width)
    if fixed and (pad_h or pad_w):
        # A fixed-size model needs whole tiles: mirror the image out to one.
        image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), "symmetric")
    full_h, full_w = image.shape[:2]
    tile_h, tile_w = min(tile, full_h), min(tile, full_w)
    step = tile - overlap
    rows = _positions(full_h, tile_h, step)
    cols = _positions(full_w, tile_w, step)
    row_weights = [
        _ramp(tile_h, overlap, i == 0, i == len(rows) - 1)
        for i in range(len(rows))
    ]
    col_weights = [
        _ramp(tile_w, overlap, j == 0, j == len(cols) - 1)
        for j in range(len(cols))
    ]
    # The weights of a tile are the outer product of a row and a column
    # ramp and the tiles lie on a grid, so their sum at every pixel is the
    # outer product of the summed ramps: no image-sized array of weights.
    row_sum = np.zeros(full_h, "float64")
    for start, weights in zip(rows, row_weights, strict=True):
        row_sum[start : start + tile_h] += weights
    col_sum = np.zeros(full_w, "float64")
    for start, weights in zip(cols, col_weights, strict=True):
        col_sum[start : start + tile_w] += weights
    total = None
    places = [(i, j) for i in range(len(rows)) for j in range(len(cols))]
    for start in range(0, len(places), batch_size):
        chunk = places[start : start + batch_size]
        tiles = [
            image[rows[i] : rows[i] + tile_h, cols[j] : cols[j] + tile_w]
            for i, j in chunk
        ]
        predicted = _predict_batch(model, tiles, batch_size)
        if total is None:
            total = np.zeros((full_h, full_w, predicted.shape[-1]), "float32")
        for (i, j), out in zip(chunk, predicted, strict=True):
            weight = np.outer(row_weights[i], col_weights[j])[..., None]
            top, left = rows[i], cols[j]
            total[top : top + tile_h, left : left + tile_w] += out * weight
        progress.add(len(chunk))
    total = total[:height, :width]
    total /= np.outer(row_sum[:height], col_sum[:width])[..., None]
    return total


_TRANSFORMS = [(k, flip) for flip in (False, True) for k in range(4)]


def _transform(image, k, flip):
    if flip:
        image = image[:, ::-1]
    return np.rot90(image, k, axes=(0, 1))


def _untransform(image, k, flip):
    image = np.rot90(image, -k, axes=(0, 1))
    if flip:
        image = image[:, ::-1]
    return image


def _transform_batch(images, k, flip):
    if flip:
        images = images[:, :, ::-1]
    return np.rot90(images, k, axes=(1, 2))


def _untransform_batch(images, k, flip):
    images = np.rot90(images, -k, axes=(1, 2))
    if flip:
        images = images[:, :, ::-1]
    return images


def predict_tiled(
    model,
    images,
    tile_size=None,
    overlap=None,
    batch_size=4,
    self_ensemble=False,
    verbose=0,
    progress=None,
):
    """Restores images of any size with `model`, in overlapping tiles.

    Each image is cut into square tiles of `tile_size` pixels that overlap
    their neighbours by `overlap` pixels; the model restores the tiles in
    batches and the results are blended with smooth weights, normalised so
    that they sum to one at every pixel: no seam shows where tiles meet.
    Within a shared strip, the outer quarter next to each tile's edge gets
    no weight and the middle half is a raised-cosine cross-fade. A fully
    convolutional model whose receptive field reaches at most
    `overlap // 4` pixels around each output therefore gives its
    whole-image prediction (up to float rounding), while holding only one
    batch of tiles in memory.

    Models with a fixed input size take tiles of that size (an image
    smaller than a tile is mirrored out to one, and the result cropped);
    models that take any size get tiles of `tile_size`, and an image no
    larger than a tile is restored in one pass; a batch of such images
    runs through the model together, `batch_size` images per call. The
    blend accumulates in float32 and its weights are never stored per
    pixel, so a large image needs about three times its own memory.

    Args:
        model: a Keras model mapping a batch of images to restored images
            (for dual-output models the `"denoised"` output is taken).
        images: one float image `(height, width, channels)` or a batch
            `(n, height, width, channels)`.
        tile_size: side of the tiles. `None` uses the model's input size
            when it is fixed (which must be square), else 256. Defaults to
            `None`.
        overlap: pixels shared by neighbouring tiles, below `tile_size`.
            `None` uses `tile_size // 4`. Defaults to `None`.
        batch_size: tiles per call of the model. Defaults to `4`.
        self_ensemble: if `True`, the mean of the predictions of the eight
            flips and rotations of each image (each brought back to the
            image's orientation), which usually gains a little PSNR at
            eight times the cost. Defaults to `False`.
        verbose: `1` shows a progress bar of the tiles. Defaults to `0`.
        progress: a callable `progress(done, total)` called after each
            batch of tiles with the tiles done so far and the total, or
            `None`. Defaults to `None`.

    Returns:
        A float32 NumPy array of the restored images, in the form of
        `images` (one image or a batch).

    Raises:
        TypeError: if `images` is not floating-point.
        ValueError: if `images` is not rank 3 or 4, the model's fixed
            input is not square or differs from `tile_size`, or
            `tile_size`, `overlap` or `batch_size` is out of range.

    Example:

    >>> import numpy as np
    >>> model = keras_denoise.models.residual_denoiser(channels=1, depth=3)
    >>> image = np.random.rand(100, 70, 1).astype("float32")
    >>> restored = keras_denoise.inference.predict_tiled(
    ...     model, image, tile_size=48, overlap=16
    ... )
    >>> whole = model.predict(image[None], verbose=0)[0]
    >>> restored.shape, bool(np.allclose(restored, whole, atol=1e-5))
    ((100, 70, 1), True)
    """
    images = np.asarray(images)
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(
            "`images` must be floating-point in the model's range (for "
            f"example `x / 255.0`). Received: images.dtype={images.dtype}"
        )
    if images.ndim not in (3, 4) or 0 in images.shape:
        raise ValueError(
            "`images` must be one image (height, width, channels) or a "
            "batch (n, height, width, channels). Received: "
            f"images.shape={images.shape}"
        )
    size = _input_size(model)
    fixed = None not in size
    if fixed and size[0] != size[1]:
        raise ValueError(
            "`predict_tiled` needs square tiles: the model's fixed input "
            f"is {size[0]}x{size[1]}"
        )
    if tile_size is None:
        tile_size = size[0] if fixed else DEFAULT_TILE_SIZE
    tile_size = check_int("tile_size", tile_size)
    if fixed and tile_size != size[0]:
        raise ValueError(
            "`tile_size` must be the model's fixed input size "
            f"{size[0]}. Received: tile_size={tile_size}"
        )
    if overlap is None:
        overlap = tile_size // 4
    overlap = check_int("overlap", overlap, minimum=0)
    if overlap >= tile_size:
        raise ValueError(
            "`overlap` must be smaller than `tile_size` "
            f"({tile_size}). Received: overlap={overlap}"
        )
    batch_size = check_int("batch_size", batch_size)
    if not isinstance(self_ensemble, bool):
        raise TypeError(
            "`self_ensemble` must be True or False. "
            f"Received: self_ensemble={self_ensemble!r}"
        )
    if progress is not None and not callable(progress):
        raise TypeError(
            f"`progress` must be callable. Received: progress={progress!r}"
        )
    batch = images[None] if images.ndim == 3 else images
    batch = batch.astype("float32", copy=False)
    transforms = _TRANSFORMS if self_ensemble else [(0, False)]

    def count(image):
        height, width = image.shape[:2]
        if fixed:
            height, width = max(height, tile_size), max(width, tile_size)
        step = tile_size - overlap
        return len(_positions(height, min(tile_size, height), step)) * len(
            _positions(width, min(tile_size, width), step)
        )

    total = sum(
        count(_transform(image, k, flip))
        for image in batch
        for k, flip in transforms
    )
    bar = _Progress(total, verbose, progress)
    height, width = batch.shape[1:3]
    if (height, width) == (tile_size, tile_size) or (
        not fixed and max(height, width) <= tile_size
    ):
        # Every image is one whole tile: the batch runs through the model
        # at once, as many images per call as `batch_size`.
        outputs = [
            _untransform_batch(
                _predict_batch(
                    model,
                    list(_transform_batch(batch, k, flip)),
                    batch_size,
                ),
                k,
                flip,
            )
            for k, flip in transforms
        ]
        bar.add(total)
        result = np.mean(outputs, axis=0, dtype="float64").astype("float32")
        return result[0] if images.ndim == 3 else result
    results = []
    for image in batch:
        outputs = [
            _untransform(
                _tiled_image(
                    model,
                    np.ascontiguousarray(_transform(image, k, flip)),
                    tile_size,
                    overlap,
                    fixed,
                    batch_size,
                    bar,
                ),
                k,
                flip,
            )
            for k, flip in transforms
        ]
        if len(outputs) == 1:
            results.append(outputs[0])
        else:
            mean = np.mean(outputs, axis=0, dtype="float64")
            results.append(mean.astype("float32"))
    if images.ndim == 3:
        return results[0]
    return np.stack(results)
