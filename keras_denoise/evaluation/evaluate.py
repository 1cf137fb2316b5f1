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
    """
    clean, other = np.asarray(clean), np.asarray(other)
    if clean.shape != other.shape:
        raise ValueError(
            "Images to compare must have the same shape. "
            f"Received: {clean.shape} and {other.shape}"
        )
    psnr = _per_image_psnr(clean, other, max_val)
    return {
        "psnr": _finite_or_none(np.mean(psnr)),
        "ssim": float(np.mean(_per_image_ssim(clean, other, float(max_val)))),
        "mse": float(np.mean(_per_image_mse(clean, other))),
    }


def _apply_corruption(corruption, images, batch_size):
    if corruption is None:
        return images.copy()
    if isinstance(corruption, np.ndarray):
        return corruption.astype("float32")
    return np.concatenate(
        [
            apply_corruption(corruption, images[start : start + batch_size])
            for start in range(0, len(images), batch_size)
        ]
    ).astype("float32")


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


def evaluate_corruptions(
    model,
    images,
    corruptions=None,
    batch_size=32,
    value_range=(0.0, 1.0),
    baselines=None,
    examples_dir=None,
    num_examples=8,
):
    """Scores a denoiser on each kind of corruption of the clean `images`.

    For every named corruption the clean images are corrupted once (with
    the corruption's own seed), the model restores them, and PSNR, SSIM
    and MSE against the clean images are computed for the corrupted input,
    for the model's output (clipped to `value_range`) and for each
    classical `baselines` denoiser.

    Dual-output models (`denoise_classifier`) are scored on their
    `"denoised"` output; variational autoencoders on their reconstruction.

    Args:
        model: a Keras model mapping corrupted images to restored ones.
        images: clean float images `(n, height, width, channels)`.
        corruptions: dict from name to a corruption layer, a
            `keras.Sequential` chain, a callable, an array of already
            corrupted versions of `images` (real noisy/clean pairs), or
            `None` (no corruption); `None` uses `default_corruptions()`.
            Defaults to `None`.
        batch_size: batch size of corruption and prediction. Defaults to
            `32`.
        value_range: `(min, max)` of the pixel values: outputs are clipped
            to it and PSNR uses its width as peak. Defaults to `(0.0, 1.0)`.
        baselines: dict from name to a function mapping a corrupted batch
            (numpy) to a restored batch, e.g. a scikit-image denoiser, to
            compare the model with. Defaults to `None`.
        examples_dir: folder where a PNG of examples per corruption is
            written (`examples_<name>.png`: clean, input, output rows), or
            `None`. Defaults to `None`.
        num_examples: images per example grid. Defaults to `8`.

    Returns:
        A `keras_denoise.evaluation.CorruptionReport`.

    Raises:
        TypeError: if `images` is not floating-point or a corruption is
            not callable.
        ValueError: if `images` is not a rank-4 batch or `corruptions` is
            empty.

    Example:

    ```python
    report = keras_denoise.evaluation.evaluate_corruptions(model, x_test)
    print(report)
    report.save("metrics.json")
    ```
    """
    images = _check_images(images)
    if corruptions is None:
        corruptions = default_corruptions()
    if not isinstance(corruptions, dict) or not corruptions:
        raise ValueError(
            "`corruptions` must be a non-empty dict from name to corruption. "
            f"Received: corruptions={corruptions!r}"
        )
    for name, corruption in corruptions.items():
        if isinstance(corruption, np.ndarray):
            if corruption.shape != images.shape:
                raise ValueError(
                    f"Corrupted images given for {name!r} must have the "
                    f"shape of `images` {images.shape}. "
                    f"Received: shape={corruption.shape}"
                )
        elif corruption is not None and not callable(corruption):
            raise TypeError(
                f"Corruption {name!r} must be a layer, a callable or an "
                f"array of corrupted images. Received: {corruption!r}"
            )
    baselines = dict(baselines or {})
    for name, function in baselines.items():
        if not callable(function):
            raise TypeError(
                f"Baseline {name!r} must be callable. Received: {function!r}"
            )
    check_int("batch_size", batch_size)
    low, high = value_range
    max_val = float(high - low)
    results, examples = {}, {}
    for name, corruption in corruptions.items():
        corrupted = _apply_corruption(corruption, images, batch_size)
        restored = np.clip(
            predict_images(model, corrupted, batch_size), low, high
        )
        row = {
            "input": image_metrics(images, corrupted, max_val),
            "output": image_metrics(images, restored, max_val),
        }
        if baselines:
            row["baselines"] = {
                baseline: image_metrics(
                    images,
                    np.clip(
                        np.asarray(function(corrupted), dtype="float32"),
                        low,
                        high,
                    ).reshape(images.shape),
                    max_val,
                )
                for baseline, function in baselines.items()
            }
        results[name] = row
        if examples_dir is not None:
            from keras_denoise.visualization import comparison_grid

            count = min(num_examples, len(images))
            path = os.path.join(
                examples_dir, f"examples_{_safe_name(name)}.png"
            )
            comparison_grid(
                images[:count],
                corrupted[:count],
                restored[:count],
                path=path,
                value_range=(low, high),
            )
            examples[name] = os.path.basename(path)
    return CorruptionReport(results, num_images=len(images), examples=examples)
