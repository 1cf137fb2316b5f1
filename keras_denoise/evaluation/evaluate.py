"""`evaluate_corruptions`: how well a model undoes each kind of corruption."""

import os

import numpy as np

from keras_denoise._layers import apply_corruption
from keras_denoise._validation import check_int
from keras_denoise.evaluation._examples import Examples
from keras_denoise.evaluation._examples import describe
from keras_denoise.evaluation._examples import safe_name
from keras_denoise.evaluation._streams import Noisy
from keras_denoise.evaluation._streams import check_images
from keras_denoise.evaluation._streams import chunks
from keras_denoise.evaluation._streams import is_array
from keras_denoise.evaluation._streams import is_stream
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


PAIRED = "paired"


def _example_title(name, corruption):
    """`name: settings` above a corruption's example grid."""
    if name == PAIRED:
        return f"{name}: the given noisy images"
    return f"{name}: {describe(corruption)}"


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
    noisy=None,
    predict_fn=None,
):
    """Scores a denoiser on each kind of corruption of the clean `images`.

    For every named corruption the clean images are corrupted once (with
    the corruption's own seed), the model restores them, and PSNR, SSIM
    and MSE against the clean images are computed for the corrupted input,
    for the model's output (clipped to `value_range`) and for each
    classical `baselines` denoiser. The figures are computed per image and
    averaged. Real noisy/clean pairs are given with `noisy`: the noisy
    images are scored as the row `"paired"`, first in the report.

    `images` (and `noisy`) is an array, or an iterable (a list, a
    generator, a `tf.data.Dataset`) of images of any sizes, which is
    streamed: only one batch of consecutive same-sized images (at most
    `batch_size`) is held at a time, with the per-image figures and the
    example crops, so a folder of full-size photographs can be scored
    without loading it (see the example).

    Dual-output models (`denoise_classifier`) are scored on their
    `"denoised"` output; variational autoencoders on their reconstruction.
    To restore images another way (in tiles, with a self-ensemble, a
    classical filter), give `predict_fn` instead of a model.

    Args:
        model: a Keras model mapping corrupted images to restored ones, or
            `None` when `predict_fn` is given.
        images: clean float images: an array `(n, height, width,
            channels)`, or an iterable yielding images `(height, width,
            channels)` or batches `(n, height, width, channels)`.
        corruptions: dict from name to a corruption layer, a
            `keras.Sequential` chain, a callable mapping a batch to a
            corrupted batch, or `None` (no corruption). `None` uses
            `default_corruptions()`, or no corruption at all when `noisy`
            is given. Defaults to `None`.
        batch_size: batch size of corruption and prediction. Defaults to
            `32`.
        value_range: `(min, max)` of the pixel values: outputs are clipped
            to it and PSNR uses its width as peak. Defaults to `(0.0, 1.0)`.
        baselines: dict from name to a function mapping a corrupted batch
            (numpy, at most `batch_size` images) to a restored batch, e.g.
            `keras_denoise.evaluation.denoise_tv`, to compare the model
            with. Defaults to `None`.
        examples_dir: folder where a PNG of examples per corruption is
            written (`examples_<name>.png`: clean, input, output rows), or
            `None`. Defaults to `None`.
        num_examples: images per example grid, drawn evenly from all the
            images (a seeded sample, in the images' order). Each grid is
            titled with the corruption's name and settings, shows the PSNR
            under every input and output, and magnifies images smaller
            than 96 pixels. Defaults to `8`.
        example_size: largest side of the example images: larger images
            are shown as centre crops of this size, and images of several
            sizes as centre crops of the size they all share. `None` keeps
            whole images. Defaults to `256`.
        noisy: real noisy versions of `images`, one for one in the same
            order and of the same shapes (an array like `images`, or an
            iterable), scored as the row `"paired"`; or `None`. Defaults
            to `None`.
        predict_fn: a function mapping a batch of corrupted images
            (numpy, at most `batch_size` images of one size) to the
            restored batch, used instead of `model`; or `None`. Defaults
            to `None`.

    Returns:
        A `keras_denoise.evaluation.CorruptionReport`.

    Raises:
        TypeError: if `images` or `noisy` is not floating-point, a
            corruption, baseline or `predict_fn` is not callable, or both
            or neither of `model` and `predict_fn` are given. For a
            stream, an item's type is checked when the item is reached.
        ValueError: if `images` is not a rank-4 batch (or yields no image),
            `corruptions` is empty, or `noisy` does not match `images` one
            for one.

    Example:

    ```python
    report = keras_denoise.evaluation.evaluate_corruptions(model, x_test)
    print(report)
    report.save("metrics.json")

    # A folder of photographs of any sizes, one image at a time, restored
    # in tiles.
    photos = keras_denoise.datasets.image_directory("photos/", channels=1)
    report = keras_denoise.evaluation.evaluate_corruptions(
        None,
        photos,
        predict_fn=lambda batch: keras_denoise.inference.predict_tiled(
            model, batch
        ),
    )
    ```
    """
    if (model is None) == (predict_fn is None):
        raise TypeError(
            "Give either `model` or `predict_fn`. Received: "
            f"model={model!r}, predict_fn={predict_fn!r}"
        )
    if predict_fn is not None and not callable(predict_fn):
        raise TypeError(
            "`predict_fn` must be callable. "
            f"Received: predict_fn={predict_fn!r}"
        )
    if is_array(images):
        images = check_images(images)
    elif not is_stream(images):
        raise TypeError(
            "`images` must be an array (n, height, width, channels) or an "
            f"iterable of images. Received: images={images!r}"
        )
    if noisy is not None:
        if is_array(noisy):
            if not is_array(images):
                raise ValueError(
                    "`noisy` as one array needs `images` as an array; give "
                    "an iterable of noisy images to match streamed `images`."
                )
            if tuple(noisy.shape) != images.shape:
                raise ValueError(
                    f"`noisy` must have the shape of `images` {images.shape}. "
                    f"Received: noisy.shape={tuple(noisy.shape)}"
                )
        elif not is_stream(noisy):
            raise TypeError(
                "`noisy` must be an array or an iterable of images. "
                f"Received: noisy={noisy!r}"
            )
    if corruptions is None:
        corruptions = {} if noisy is not None else default_corruptions()
    elif not isinstance(corruptions, dict) or not corruptions:
        raise ValueError(
            "`corruptions` must be a non-empty dict from name to corruption. "
            f"Received: corruptions={corruptions!r}"
        )
    for name, corruption in corruptions.items():
        if corruption is not None and not callable(corruption):
            raise TypeError(
                f"Corruption {name!r} must be a layer, a callable or None "
                "(real noisy images go to `noisy=`). "
                f"Received: {type(corruption).__name__}"
            )
    if noisy is not None:
        if PAIRED in corruptions:
            raise ValueError(
                f"`corruptions` may not use the name {PAIRED!r} of the "
                "`noisy` images."
            )
        corruptions = {PAIRED: noisy, **corruptions}
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
    if predict_fn is None:

        def predict_fn(batch):
            return predict_images(model, batch, batch_size)

    given = Noisy(noisy) if noisy is not None else None
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
            name: Examples(
                os.path.join(examples_dir, f"examples_{safe_name(name)}.png"),
                num_examples,
                example_size,
                (low, high),
                title=_example_title(name, corruptions[name]),
            )
            for name in corruptions
        }
    total = 0
    for clean in chunks(images, batch_size):
        for name, corruption in corruptions.items():
            if given is not None and name == PAIRED:
                corrupted = given.take(clean)
            else:
                corrupted = _apply_corruption(corruption, clean)
            restored = np.asarray(predict_fn(corrupted), dtype="float32")
            restored = np.clip(restored, low, high).reshape(clean.shape)
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
    if given is not None:
        given.finish(total)
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
