"""Classical blind denoisers to compare a model with (scikit-image)."""

import numpy as np

# Total-variation weight per unit of estimated noise sigma: the best of
# the multiples tried on held-out crops at sigma 15, 25 and 50.
TV_WEIGHT_PER_SIGMA = 0.8
# NL-means filtering strength `h` per unit of sigma, as in the benchmarks.
NL_MEANS_H_PER_SIGMA = 0.8


def _check_batch(images, name="images"):
    images = np.asarray(images)
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(
            f"`{name}` must be floating-point. "
            f"Received: {name}.dtype={images.dtype}"
        )
    if images.ndim != 4:
        raise ValueError(
            f"`{name}` must be a batch (n, height, width, channels). "
            f"Received: {name}.shape={images.shape}"
        )
    return images


def estimate_noise_sigma(image):
    """Blind estimate of the Gaussian noise sigma of one image.

    Immerkaer's fast method (1996): the mean absolute response to a
    Laplacian-difference kernel, which cancels smooth image structure,
    scaled to a standard deviation. Colour images get the mean of their
    channels' estimates.

    Args:
        image: a float image `(height, width)` or `(height, width,
            channels)`, at least 3x3.

    Returns:
        The estimated sigma, as a Python float in the image's units.

    Raises:
        TypeError: if `image` is not floating-point.
        ValueError: if `image` is not rank 2 or 3 or smaller than 3x3.

    Example:

    >>> import numpy as np
    >>> noise = np.random.default_rng(0).normal(0.0, 0.1, (128, 128))
    >>> sigma = keras_denoise.evaluation.estimate_noise_sigma(0.5 + noise)
    >>> round(sigma, 2)
    0.1
    """
    image = np.asarray(image)
    if not np.issubdtype(image.dtype, np.floating):
        raise TypeError(
            "`image` must be floating-point. "
            f"Received: image.dtype={image.dtype}"
        )
    if image.ndim not in (2, 3) or min(image.shape[:2]) < 3:
        raise ValueError(
            "`image` must be (height, width) or (height, width, channels), "
            f"at least 3x3. Received: image.shape={image.shape}"
        )
    if image.ndim == 3:
        return float(
            np.mean(
                [
                    estimate_noise_sigma(image[..., c])
                    for c in range(image.shape[-1])
                ]
            )
        )
    x = image.astype("float64")
    response = (
        x[:-2, :-2]
        - 2 * x[:-2, 1:-1]
        + x[:-2, 2:]
        - 2 * x[1:-1, :-2]
        + 4 * x[1:-1, 1:-1]
        - 2 * x[1:-1, 2:]
        + x[2:, :-2]
        - 2 * x[2:, 1:-1]
        + x[2:, 2:]
    )
    return float(np.sqrt(np.pi / 2) / 6 * np.abs(response).mean())


def denoise_tv(images, weight_per_sigma=TV_WEIGHT_PER_SIGMA):
    """Blind total-variation denoising of a batch (scikit-image).

    Each image is denoised with `skimage.restoration.denoise_tv_chambolle`,
    its weight set to `weight_per_sigma` times the image's noise sigma as
    estimated by `estimate_noise_sigma`: no noise level is given. The
    signature fits the `baselines` of `evaluate_corruptions`.

    Args:
        images: float images `(n, height, width, channels)`.
        weight_per_sigma: TV weight per unit of estimated sigma. Defaults
            to `0.8`.

    Returns:
        The denoised batch, a float32 NumPy array of the same shape.

    Raises:
        TypeError: if `images` is not floating-point.
        ValueError: if `images` is not rank 4 or `weight_per_sigma` is not
            positive.
        ImportError: if scikit-image is not installed.

    Example:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> clean = np.full((2, 32, 32, 1), 0.5, "float32")
    >>> noisy = clean + rng.normal(0, 0.1, clean.shape).astype("float32")
    >>> restored = keras_denoise.evaluation.denoise_tv(noisy)
    >>> bool(np.abs(restored - clean).mean() < np.abs(noisy - clean).mean())
    True
    """
    from skimage.restoration import denoise_tv_chambolle

    images = _check_batch(images)
    if not weight_per_sigma > 0:
        raise ValueError(
            "`weight_per_sigma` must be positive. "
            f"Received: weight_per_sigma={weight_per_sigma!r}"
        )
    out = np.empty(images.shape, "float32")
    for i, image in enumerate(images):
        weight = max(weight_per_sigma * estimate_noise_sigma(image), 1e-4)
        out[i] = denoise_tv_chambolle(image, weight=weight, channel_axis=-1)
    return out


def denoise_nl_means(images, h_per_sigma=NL_MEANS_H_PER_SIGMA):
    """Blind non-local means denoising of a batch (scikit-image).

    Each image is denoised with `skimage.restoration.denoise_nl_means`
    (5x5 patches searched within 6 pixels, fast mode), given the noise
    sigma estimated by `estimate_noise_sigma` and a filtering strength
    `h_per_sigma` times that sigma. The signature fits the `baselines` of
    `evaluate_corruptions`.

    Args:
        images: float images `(n, height, width, channels)`.
        h_per_sigma: filtering strength per unit of estimated sigma.
            Defaults to `0.8`.

    Returns:
        The denoised batch, a float32 NumPy array of the same shape.

    Raises:
        TypeError: if `images` is not floating-point.
        ValueError: if `images` is not rank 4 or `h_per_sigma` is not
            positive.
        ImportError: if scikit-image is not installed.

    Example:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> clean = np.full((1, 32, 32, 1), 0.5, "float32")
    >>> noisy = clean + rng.normal(0, 0.1, clean.shape).astype("float32")
    >>> restored = keras_denoise.evaluation.denoise_nl_means(noisy)
    >>> bool(np.abs(restored - clean).mean() < np.abs(noisy - clean).mean())
    True
    """
    from skimage.restoration import denoise_nl_means as nl_means

    images = _check_batch(images)
    if not h_per_sigma > 0:
        raise ValueError(
            "`h_per_sigma` must be positive. "
            f"Received: h_per_sigma={h_per_sigma!r}"
        )
    out = np.empty(images.shape, "float32")
    for i, image in enumerate(images):
        sigma = estimate_noise_sigma(image)
        out[i] = nl_means(
            image,
            h=max(h_per_sigma * sigma, 1e-4),
            sigma=sigma,
            fast_mode=True,
            patch_size=5,
            patch_distance=6,
            channel_axis=-1,
        ).reshape(image.shape)
    return out
