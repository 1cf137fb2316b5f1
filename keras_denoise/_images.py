"""Small image helpers shared by the package: luminance, centre crops,
image grids and PNG encoding.

NumPy only (Pillow on demand); nothing from the rest of the package.
"""

import io

import numpy as np

# Luminance weights of scikit-image's `rgb2gray` (ITU-R BT.709), used for
# every colour-to-gray conversion of the package (the bundled photographs,
# image folders). `keras.ops.image.rgb_to_grayscale` uses other weights
# (ITU-R BT.601, those of `tf.image.rgb_to_grayscale`), which would change
# the gray images that the datasets, benchmarks and pretrained weights
# were made from; and the folder pipelines run inside `tf.data`, where
# `keras.ops` on another backend cannot run.
LUMA = (0.2125, 0.7154, 0.0721)


def to_grayscale(image):
    """One luminance channel of a float `(..., channels)` NumPy image.

    One-channel images are returned as they are; alpha is ignored.
    """
    if image.shape[-1] == 1:
        return image
    weights = np.asarray(LUMA, dtype="float32")
    return (image[..., :3] @ weights)[..., None].astype("float32")


def centre_crop(images, height, width):
    """The centred `height` x `width` window of a batch `(n, h, w, c)`."""
    top = (images.shape[1] - height) // 2
    left = (images.shape[2] - width) // 2
    return images[:, top : top + height, left : left + width]


def encode_png(picture):
    """PNG bytes of a `PIL.Image` or of a uint8 array `(h, w, 1, 3 or 4)`."""
    if isinstance(picture, np.ndarray):
        from PIL import Image

        # Pillow infers L, RGB or RGBA from the uint8 array's shape.
        picture = Image.fromarray(
            picture[..., 0] if picture.shape[-1] == 1 else picture
        )
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def tile_rows(rows, value_range, padding, scale=1, margin=0, top=0, gap=0):
    """Tiles rows of float image batches into one uint8 array.

    `rows` are `(n, height, width, channels)` batches of one image size
    with 1, 3 or 4 channels; gray rows are repeated to RGB when another row
    has colour, and short rows leave white space. Pixel values map from
    `value_range` (`None`: the smallest and largest finite value of all
    rows) to 0-255, NaN to 0. Each image is magnified `scale` times (nearest
    neighbour); `padding` pixels of white separate the images, `margin`
    pixels of white are left on the left, `top` above the first row and
    `gap` below every row (room for a title and captions).
    """
    channels = max(row.shape[-1] for row in rows)
    if value_range is None:
        finite = [row[np.isfinite(row)] for row in rows]
        finite = [values for values in finite if values.size]
        low = min((float(v.min()) for v in finite), default=0.0)
        high = max((float(v.max()) for v in finite), default=1.0)
        high = high if high > low else low + 1.0
    else:
        low, high = (float(v) for v in value_range)
    height, width = rows[0].shape[1] * scale, rows[0].shape[2] * scale
    columns = max(len(row) for row in rows)
    grid = np.full(
        (
            top + padding + len(rows) * (height + gap + padding),
            margin + padding + columns * (width + padding),
            channels,
        ),
        255,
        dtype="uint8",
    )
    for r, row in enumerate(rows):
        scaled = (np.asarray(row, "float32") - low) / (high - low)
        scaled = np.nan_to_num(np.clip(scaled, 0.0, 1.0), nan=0.0)
        tiles = np.round(scaled * 255.0).astype("uint8")
        if tiles.shape[-1] == 1 and channels > 1:
            tiles = np.repeat(tiles, 3, axis=-1)
        if tiles.shape[-1] < channels:  # RGB among RGBA rows: opaque.
            tiles = np.concatenate(
                [tiles, np.full(tiles.shape[:-1] + (1,), 255, "uint8")], -1
            )
        if scale > 1:
            tiles = tiles.repeat(scale, axis=1).repeat(scale, axis=2)
        upper = top + padding + r * (height + gap + padding)
        for c, tile in enumerate(tiles):
            left = margin + padding + c * (width + padding)
            grid[upper : upper + height, left : left + width] = tile
    return grid
