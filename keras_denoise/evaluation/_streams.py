"""Arrays or streams of images, walked batch by batch for evaluation."""

import numpy as np


def is_array(value):
    """A NumPy array or an array-like tensor (TensorFlow, JAX, torch).

    Used only to tell the two documented forms of `images` and `noisy`
    apart: an array `(n, height, width, channels)` or an iterable.
    """
    return isinstance(value, np.ndarray) or (
        hasattr(value, "shape")
        and hasattr(value, "dtype")
        and hasattr(value, "__array__")
    )


def is_stream(value):
    return (
        not is_array(value)
        and not isinstance(value, (str, bytes, dict))
        and hasattr(value, "__iter__")
    )


def check_images(images):
    images = np.asarray(images)
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(
            "`images` must be floating-point in the model's range (for "
            f"example `x / 255.0`). Received: images.dtype={images.dtype}"
        )
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            "`images` must be a non-empty batch (n, height, width, "
            f"channels). Received: images.shape={images.shape}"
        )
    return images.astype("float32")


def single_images(items, what):
    """Yields float32 images `(h, w, c)` from an iterable of images or
    batches, checking each item as it comes."""
    for index, item in enumerate(items):
        if isinstance(item, (tuple, dict)):
            raise TypeError(
                f"{what} must yield images or batches of images. Received "
                f"item {index} of type {type(item).__name__}"
            )
        item = np.asarray(item)
        if not np.issubdtype(item.dtype, np.floating):
            raise TypeError(
                f"{what} must be floating-point in the model's range (for "
                f"example `x / 255.0`). Received item {index} with "
                f"dtype={item.dtype}"
            )
        if item.ndim == 3:
            yield item.astype("float32")
        elif item.ndim == 4:
            for image in item:
                yield image.astype("float32")
        else:
            raise ValueError(
                f"{what} must yield images (height, width, channels) or "
                "batches (n, height, width, channels). Received item "
                f"{index} with shape={item.shape}"
            )


def chunks(images, batch_size):
    """Batches of at most `batch_size` images of one size, in order."""
    if is_array(images):
        for start in range(0, len(images), batch_size):
            yield images[start : start + batch_size]
        return
    buffer = []
    for image in single_images(images, "`images`"):
        if buffer and (
            image.shape != buffer[0].shape or len(buffer) == batch_size
        ):
            yield np.stack(buffer)
            buffer = []
        buffer.append(image)
    if buffer:
        yield np.stack(buffer)


class Noisy:
    """Real noisy versions of the clean images (`noisy=`), taken batch by
    batch in step with the clean images."""

    def __init__(self, images):
        self.array = np.asarray(images) if is_array(images) else None
        self.stream = None
        if self.array is None:
            self.stream = single_images(images, "`noisy`")
        self.offset = 0

    def take(self, clean):
        count, start = len(clean), self.offset
        if self.array is not None:
            batch = list(self.array[start : start + count])
        else:
            batch = []
            for image in self.stream:
                batch.append(image)
                if len(batch) == count:
                    break
        self.offset += count
        if len(batch) < count:
            raise ValueError(
                "`noisy` must match `images` one for one: it ends after "
                f"{start + len(batch)} image(s), before the clean images do"
            )
        for i, (image, reference) in enumerate(zip(batch, clean, strict=True)):
            if image.shape != reference.shape:
                raise ValueError(
                    "`noisy` must match `images` one for one: noisy image "
                    f"{start + i} has shape {image.shape}, the clean image "
                    f"{reference.shape}"
                )
        return np.stack(batch).astype("float32")

    def finish(self, total):
        left = (
            len(self.array) - total
            if self.array is not None
            else sum(1 for _ in self.stream)
        )
        if left:
            raise ValueError(
                f"`noisy` must match `images` one for one: {left} more "
                f"than the {total} clean images"
            )
