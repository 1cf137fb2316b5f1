"""`evaluate_corruptions`: how well a model undoes each kind of corruption."""

import os
import re

import numpy as np

from keras_denoise._utils import apply_corruption
from keras_denoise._utils import check_int
from keras_denoise.evaluation.corruption_report import CorruptionReport
from keras_denoise.evaluation.corruption_report import _finite_or_none


def default_corruptions(seed=0):
    """The default evaluation set: one layer (or chain) per kind.

    `gaussian` (sigma 25/255), `salt_and_pepper` (5 % of pixels), `blur`
    (sigma 1), `noise+blur` (sigma 10/255 noise then blur sigma 1, a
    `keras.Sequential` chain) and `clean` (no corruption: does the model
    leave clean images alone?).

    Args:
        seed: seed of the corruption layers. Defaults to `0`.

    Returns:
        A dict from name to corruption layer (`None` for `clean`).

    Example:

    >>> corruptions = keras_denoise.evaluation.default_corruptions(seed=1)
    >>> list(corruptions)
    ['gaussian', 'salt_and_pepper', 'blur', 'noise+blur', 'clean']
    """
    import keras

    from keras_denoise import layers

    return {
        "gaussian": layers.AdditiveGaussianNoise(25 / 255, seed=seed),
        "salt_and_pepper": layers.SaltAndPepperNoise(0.05, seed=seed),
        "blur": layers.GaussianBlur(1.0, seed=seed),
        "noise+blur": keras.Sequential(
            [
                layers.AdditiveGaussianNoise(10 / 255, seed=seed),
                layers.GaussianBlur(1.0, seed=seed),
            ],
            name="noise_blur",
        ),
        "clean": None,
    }


def _per_image_mse(clean, other):
    diff = clean.astype("float64") - other.astype("float64")
    return np.mean(diff * diff, axis=(1, 2, 3))


def _per_image_psnr(clean, other, max_val):
    mse = _per_image_mse(clean, other)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(max_val**2 / mse)


def _per_image_ssim(clean, other, max_val, batch_size=64):
    """SSIM of each image with `keras_denoise.metrics.ssim` (11x11 Gaussian
    window of sigma 1.5, shrunk for images under 11 pixels), in batches."""
    import keras

    from keras_denoise.metrics import ssim

    return np.concatenate(
        [
            keras.ops.convert_to_numpy(
                ssim(
                    clean[start : start + batch_size].astype("float32"),
                    other[start : start + batch_size].astype("float32"),
                    max_val=max_val,
                    data_format="channels_last",
                )
            )
            for start in range(0, len(clean), batch_size)
        ]
    )


def _per_image_metrics(clean, other, max_val):
    """Per-image PSNR, SSIM and MSE arrays of a batch."""
    return {
        "psnr": _per_image_psnr(clean, other, max_val),
        "ssim": _per_image_ssim(clean, other, float(max_val)),
        "mse": _per_image_mse(clean, other),
    }


def _mean_metrics(per_image):
    """Means of per-image figures (lists of batch arrays, or arrays)."""
    values = {
        key: np.concatenate(v) if isinstance(v, list) else v
        for key, v in per_image.items()
    }
    return {
        "psnr": _finite_or_none(np.mean(values["psnr"])),
        "ssim": float(np.mean(values["ssim"])),
        "mse": float(np.mean(values["mse"])),
    }


def image_metrics(clean, other, max_val=1.0):
    """Mean PSNR (dB), SSIM and MSE of `other` against `clean`.

    The figures are computed per image, then averaged (the convention of
    denoising papers). PSNR is `None` when an image is reproduced exactly.
    SSIM is `keras_denoise.metrics.ssim` (11x11 Gaussian window of sigma
    1.5; images under 11 pixels get a smaller window, as documented there).

    Args:
        clean: reference images `(n, height, width, channels)`.
        other: images to score, same shape.
        max_val: dynamic range of the images. Defaults to `1.0`.

    Returns:
        A dict `{"psnr", "ssim", "mse"}` of Python floats (or `None`).

    Raises:
        ValueError: if `clean` and `other` have different shapes.

    Example:

    >>> import numpy as np
    >>> clean = np.full((2, 16, 16, 1), 0.5, "float32")
    >>> figures = keras_denoise.evaluation.image_metrics(clean, clean + 0.1)
    >>> round(figures["psnr"], 2), round(figures["mse"], 4)
    (20.0, 0.01)
    """
    clean, other = np.asarray(clean), np.asarray(other)
    if clean.shape != other.shape:
        raise ValueError(
            "Images to compare must have the same shape. "
            f"Received: {clean.shape} and {other.shape}"
        )
    return _mean_metrics(_per_image_metrics(clean, other, max_val))


def _apply_corruption(corruption, images):
    """Corrupts one batch (`corruption` is a layer, callable or None)."""
    if corruption is None:
        return images.copy()
    return apply_corruption(corruption, images).astype("float32")


def denoised_output(model, outputs):
    """Picks the denoised images from a model's predictions.

    Dual-output models give a dict or list; the output named `"denoised"`
    is taken (the first output when no name matches).

    Args:
        model: the model that made `outputs` (its `output_names` name the
            items of a list of outputs).
        outputs: what `model.predict` or `model(...)` returned: a tensor or
            array, a list or tuple, or a dict of them.

    Returns:
        The denoised images, as given in `outputs`.

    Example:

    >>> import numpy as np
    >>> model = keras_denoise.models.denoise_classifier((8, 8, 1), 3)
    >>> outputs = model.predict(np.zeros((2, 8, 8, 1)), verbose=0)
    >>> keras_denoise.evaluation.denoised_output(model, outputs).shape
    (2, 8, 8, 1)
    """
    if isinstance(outputs, dict):
        if "denoised" in outputs:
            return outputs["denoised"]
        return next(iter(outputs.values()))
    if isinstance(outputs, (list, tuple)):
        names = list(getattr(model, "output_names", None) or [])
        if "denoised" in names:
            return outputs[names.index("denoised")]
        return outputs[0]
    return outputs


def predict_images(model, images, batch_size=32):
    """Runs `model` on `images` and returns its denoised images.

    Args:
        model: a Keras model mapping images to restored images; for
            dual-output models the `"denoised"` output is taken (see
            `denoised_output`).
        images: float images `(n, height, width, channels)`.
        batch_size: batch size of `model.predict`. Defaults to `32`.

    Returns:
        A float32 NumPy array of the restored images.

    Example:

    >>> import numpy as np
    >>> model = keras_denoise.models.residual_denoiser(channels=1, depth=3)
    >>> restored = keras_denoise.evaluation.predict_images(
    ...     model, np.random.rand(4, 20, 30, 1), batch_size=2
    ... )
    >>> restored.shape, restored.dtype
    ((4, 20, 30, 1), dtype('float32'))
    """
    outputs = model.predict(images, batch_size=batch_size, verbose=0)
    return np.asarray(denoised_output(model, outputs), dtype="float32")


def _safe_name(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "corruption"


def _check_images(images):
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


def _is_array(value):
    """A NumPy array or an array-like tensor (TensorFlow, JAX, torch)."""
    return isinstance(value, np.ndarray) or (
        hasattr(value, "shape")
        and hasattr(value, "dtype")
        and hasattr(value, "__array__")
    )


def _is_stream(value):
    return (
        not _is_array(value)
        and not isinstance(value, (str, bytes, dict))
        and hasattr(value, "__iter__")
    )


def _single_images(items, what):
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


def _chunks(images, batch_size):
    """Batches of at most `batch_size` images of one size, in order."""
    if _is_array(images):
        for start in range(0, len(images), batch_size):
            yield images[start : start + batch_size]
        return
    buffer = []
    for image in _single_images(images, "`images`"):
        if buffer and (
            image.shape != buffer[0].shape or len(buffer) == batch_size
        ):
            yield np.stack(buffer)
            buffer = []
        buffer.append(image)
    if buffer:
        yield np.stack(buffer)


class _Given:
    """Already corrupted images for one corruption, taken batch by batch
    in step with the clean images."""

    def __init__(self, name, images):
        self.name = name
        self.array = images if _is_array(images) else None
        self.stream = None
        if self.array is None:
            self.stream = _single_images(
                images, f"Corrupted images given for {name!r}"
            )
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
                f"Corrupted images given for {self.name!r} must match "
                f"`images` one for one: they end after {start + len(batch)} "
                "image(s), before the clean images do"
            )
        for i, (image, reference) in enumerate(zip(batch, clean, strict=True)):
            if image.shape != reference.shape:
                raise ValueError(
                    f"Corrupted images given for {self.name!r} must match "
                    f"`images` one for one: corrupted image {start + i} has "
                    f"shape {image.shape}, the clean image "
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
                f"Corrupted images given for {self.name!r} must match "
                f"`images` one for one: {left} more than the {total} clean "
                "images"
            )


def _crop(images, height, width):
    top = (images.shape[1] - height) // 2
    left = (images.shape[2] - width) // 2
    return images[:, top : top + height, left : left + width]


class _Examples:
    """The first `count` (clean, input, output) triples of a corruption,
    kept as centre crops of at most `size` pixels a side and written as
    one grid once complete."""

    def __init__(self, path, count, size, value_range):
        self.path, self.count, self.size = path, count, size
        self.value_range = value_range
        self.rows = []  # (clean, corrupted, restored) crops
        self.written = False

    def add(self, clean, corrupted, restored):
        if self.written or not self.count:
            return
        take = self.count - len(self.rows)
        height, width = clean.shape[1:3]
        if self.size is not None:
            height, width = min(height, self.size), min(width, self.size)
        for triple in zip(
            *(
                _crop(x[:take], height, width)
                for x in (clean, corrupted, restored)
            ),
            strict=True,
        ):
            self.rows.append(tuple(np.array(x) for x in triple))
        if len(self.rows) >= self.count:
            self.write()

    def write(self):
        if self.written or not self.rows:
            return
        from keras_denoise.visualization import comparison_grid

        height = min(r[0].shape[0] for r in self.rows)
        width = min(r[0].shape[1] for r in self.rows)
        clean, corrupted, restored = (
            np.concatenate(
                [_crop(r[i][None], height, width) for r in self.rows]
            )
            for i in range(3)
        )
        comparison_grid(
            clean,
            corrupted,
            restored,
            path=self.path,
            value_range=self.value_range,
        )
        self.written = True
        self.rows = []


def evaluate_corruptions(
    model,
    images,
    corruptions=None,
    batch_size=32,
    value_range=(0.0, 1.0),
    baselines=None,
    examples_dir=None,
    num_examples=8,
    example_size=256,
):
    """Scores a denoiser on each kind of corruption of the clean `images`.

    For every named corruption the clean images are corrupted once (with
    the corruption's own seed), the model restores them, and PSNR, SSIM
    and MSE against the clean images are computed for the corrupted input,
    for the model's output (clipped to `value_range`) and for each
    classical `baselines` denoiser. The figures are computed per image and
    averaged.

    `images` is an array, or an iterable (a list, a generator, a
    `tf.data.Dataset`) of images of any sizes, which is streamed: only one
    batch of consecutive same-sized images (at most `batch_size`) is held
    at a time, with the per-image figures and the example crops, so a
    folder of full-size photographs can be scored without loading it (see
    the example).

    Dual-output models (`denoise_classifier`) are scored on their
    `"denoised"` output; variational autoencoders on their reconstruction.

    Args:
        model: a Keras model mapping corrupted images to restored ones.
        images: clean float images: an array `(n, height, width,
            channels)`, or an iterable yielding images `(height, width,
            channels)` or batches `(n, height, width, channels)`.
        corruptions: dict from name to a corruption layer, a
            `keras.Sequential` chain, a callable, already corrupted
            versions of `images` (real noisy/clean pairs: an array of the
            shape of `images`, or an iterable yielding them one for one in
            the same order), or `None` (no corruption); `None` uses
            `default_corruptions()`. Defaults to `None`.
        batch_size: batch size of corruption and prediction. Defaults to
            `32`.
        value_range: `(min, max)` of the pixel values: outputs are clipped
            to it and PSNR uses its width as peak. Defaults to `(0.0, 1.0)`.
        baselines: dict from name to a function mapping a corrupted batch
            (numpy, at most `batch_size` images) to a restored batch, e.g.
            a scikit-image denoiser, to compare the model with. Defaults
            to `None`.
        examples_dir: folder where a PNG of examples per corruption is
            written (`examples_<name>.png`: clean, input, output rows), or
            `None`. Defaults to `None`.
        num_examples: images per example grid: the first ones. Defaults
            to `8`.
        example_size: largest side of the example images: larger images
            are shown as centre crops of this size, and images of several
            sizes as centre crops of the size they all share. `None` keeps
            whole images. Defaults to `256`.

    Returns:
        A `keras_denoise.evaluation.CorruptionReport`.

    Raises:
        TypeError: if `images` is not floating-point or a corruption is
            not callable. For a stream, an item's type is checked when the
            item is reached.
        ValueError: if `images` is not a rank-4 batch (or yields no image),
            `corruptions` is empty, or given corrupted images do not match
            `images` one for one.

    Example:

    ```python
    report = keras_denoise.evaluation.evaluate_corruptions(model, x_test)
    print(report)
    report.save("metrics.json")

    # A folder of photographs of any sizes, one image at a time.
    photos = keras_denoise.datasets.image_directory("photos/", channels=1)
    report = keras_denoise.evaluation.evaluate_corruptions(model, photos)
    ```
    """
    if _is_array(images):
        images = _check_images(images)
    elif not _is_stream(images):
        raise TypeError(
            "`images` must be an array (n, height, width, channels) or an "
            f"iterable of images. Received: images={images!r}"
        )
    if corruptions is None:
        corruptions = default_corruptions()
    if not isinstance(corruptions, dict) or not corruptions:
        raise ValueError(
            "`corruptions` must be a non-empty dict from name to corruption. "
            f"Received: corruptions={corruptions!r}"
        )
    for name, corruption in corruptions.items():
        if _is_array(corruption):
            if not _is_array(images):
                raise ValueError(
                    f"Corrupted images given for {name!r} as one array need "
                    "`images` as an array; give an iterable of corrupted "
                    "images to match streamed `images`."
                )
            if tuple(corruption.shape) != images.shape:
                raise ValueError(
                    f"Corrupted images given for {name!r} must have the "
                    f"shape of `images` {images.shape}. "
                    f"Received: shape={tuple(corruption.shape)}"
                )
        elif (
            corruption is not None
            and not callable(corruption)
            and not _is_stream(corruption)
        ):
            raise TypeError(
                f"Corruption {name!r} must be a layer, a callable or "
                f"corrupted images. Received: {corruption!r}"
            )
    baselines = dict(baselines or {})
    for name, function in baselines.items():
        if not callable(function):
            raise TypeError(
                f"Baseline {name!r} must be callable. Received: {function!r}"
            )
    check_int("batch_size", batch_size)
    check_int("num_examples", num_examples, minimum=0)
    if example_size is not None:
        check_int("example_size", example_size)
    low, high = value_range
    max_val = float(high - low)

    given = {}
    for name, corruption in corruptions.items():
        if _is_array(corruption):
            given[name] = _Given(name, np.asarray(corruption))
        elif corruption is not None and not callable(corruption):
            given[name] = _Given(name, corruption)
    figures = {
        name: {
            part: {"psnr": [], "ssim": [], "mse": []}
            for part in ("input", "output", *baselines)
        }
        for name in corruptions
    }
    examples = {}
    if examples_dir is not None:
        examples = {
            name: _Examples(
                os.path.join(examples_dir, f"examples_{_safe_name(name)}.png"),
                num_examples,
                example_size,
                (low, high),
            )
            for name in corruptions
        }
    total = 0
    for clean in _chunks(images, batch_size):
        for name, corruption in corruptions.items():
            if name in given:
                corrupted = given[name].take(clean)
            else:
                corrupted = _apply_corruption(corruption, clean)
            restored = np.clip(
                predict_images(model, corrupted, batch_size), low, high
            )
            parts = {"input": corrupted, "output": restored}
            for baseline, function in baselines.items():
                parts[baseline] = np.clip(
                    np.asarray(function(corrupted), dtype="float32"),
                    low,
                    high,
                ).reshape(clean.shape)
            for part, other in parts.items():
                for key, values in _per_image_metrics(
                    clean, other, max_val
                ).items():
                    figures[name][part][key].append(values)
            if name in examples:
                examples[name].add(clean, corrupted, restored)
        total += len(clean)
    if total == 0:
        raise ValueError("`images` yielded no image to evaluate.")
    for item in given.values():
        item.finish(total)
    results = {}
    for name in corruptions:
        row = {
            "input": _mean_metrics(figures[name]["input"]),
            "output": _mean_metrics(figures[name]["output"]),
        }
        if baselines:
            row["baselines"] = {
                baseline: _mean_metrics(figures[name][baseline])
                for baseline in baselines
            }
        results[name] = row
    for example in examples.values():
        example.write()
    return CorruptionReport(
        results,
        num_images=total,
        examples={
            name: os.path.basename(example.path)
            for name, example in examples.items()
            if example.written
        },
    )
