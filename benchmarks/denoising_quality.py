"""Denoising quality: trained models against scikit-image's classic filters.

Trains, each under a fixed wall-clock budget on this CPU, a
`residual_denoiser` (DnCNN-style, blind over sigma 5-55), a
`conv_autoencoder` and a `dense_autoencoder` (40x40 patches, applied tile by
tile) on `keras_denoise.datasets.natural_patches` (grayscale; the held-out
images astronaut, camera and coins are never seen), then denoises
240x240 center crops of the held-out images with additive Gaussian noise of
sigma 15, 25 and 50 (0-255 scale, noisy image clipped to [0, 1]) and
compares with `skimage.restoration.denoise_tv_chambolle`, `denoise_wavelet`
(BayesShrink, needs PyWavelets), `denoise_nl_means` and
`denoise_bilateral`. TV weight and bilateral sigma_color are picked per
sigma by a small grid search on a crop of a *training* image; NL-means uses
the scikit-image docs' settings (h = 0.8 sigma, fast mode).

    python benchmarks/denoising_quality.py [--quick] [--output PATH]
        [--budget SECONDS]
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import time  # noqa: E402

import _common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from _budget import TimeBudget  # noqa: E402
from skimage import restoration  # noqa: E402
from skimage.metrics import peak_signal_noise_ratio  # noqa: E402
from skimage.metrics import structural_similarity  # noqa: E402

import keras_denoise  # noqa: E402

SIGMAS = (15, 25, 50)
HELD_OUT = ("astronaut", "camera", "coins")


def train(model, patches, seconds, peak, batch_size=32):
    import tensorflow as tf

    model.compile(keras.optimizers.Adam(peak), "mse")
    dataset = (
        tf.data.Dataset.from_tensor_slices((patches, patches))
        .shuffle(len(patches), seed=0)
        .repeat()
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    budget = TimeBudget(seconds, peak)
    model.fit(
        dataset, epochs=10**6, steps_per_epoch=20, verbose=0, callbacks=[budget]
    )
    return budget.steps


def tiled(model, tile):
    def apply(image):
        h, w = image.shape[:2]
        tiles = (
            image.reshape(h // tile, tile, w // tile, tile, 1)
            .transpose(0, 2, 1, 3, 4)
            .reshape(-1, tile, tile, 1)
        )
        out = model.predict_on_batch(tiles)
        return (
            np.asarray(out)
            .reshape(h // tile, w // tile, tile, tile, 1)
            .transpose(0, 2, 1, 3, 4)
            .reshape(h, w, 1)
        )

    return apply


def whole(model):
    def apply(image):
        return np.asarray(model.predict_on_batch(image[None]))[0]

    return apply


def center_crop(image, size):
    h, w = image.shape[:2]
    top, left = (h - size) // 2, (w - size) // 2
    return image[top : top + size, left : left + size]


def noisy_version(image, sigma, seed):
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, sigma / 255.0, image.shape)
    return np.clip(image + noise, 0.0, 1.0).astype("float32")


def scores(clean, denoised):
    clean, denoised = clean[..., 0], np.clip(denoised[..., 0], 0.0, 1.0)
    return (
        peak_signal_noise_ratio(clean, denoised, data_range=1.0),
        structural_similarity(clean, denoised, data_range=1.0),
    )


def skimage_methods(tv_weight, bilateral_color):
    def tv(image, s):
        return restoration.denoise_tv_chambolle(image, weight=tv_weight[s])

    def wavelet(image, s):
        return restoration.denoise_wavelet(
            image,
            sigma=s / 255.0,
            method="BayesShrink",
            mode="soft",
            rescale_sigma=True,
        )

    def nl_means(image, s):
        return restoration.denoise_nl_means(
            image,
            h=0.8 * s / 255.0,
            sigma=s / 255.0,
            fast_mode=True,
            patch_size=5,
            patch_distance=6,
        )

    def bilateral(image, s):
        return restoration.denoise_bilateral(
            image,
            sigma_color=bilateral_color[s],
            sigma_spatial=2.0,
        )

    def on_plane(fn):
        # The filters run on the 2-D gray plane.
        return lambda image, s: fn(image[..., 0], s)[..., None]

    methods = {
        "skimage denoise_tv_chambolle": tv,
        "skimage denoise_wavelet": wavelet,
        "skimage denoise_nl_means": nl_means,
        "skimage denoise_bilateral": bilateral,
    }
    methods = {name: on_plane(fn) for name, fn in methods.items()}
    try:
        import pywt  # noqa: F401
    except ImportError:
        del methods["skimage denoise_wavelet"]
    return methods


def tune(image, sigmas):
    """Grid-searches TV weight and bilateral sigma_color on a train image."""
    tv_weight, bilateral_color = {}, {}
    for s in sigmas:
        noisy = noisy_version(image, s, seed=99)[..., 0]

        def best(fn, grid):
            return max(grid, key=lambda p: scores(image, fn(p)[..., None])[0])

        tv_weight[s] = best(
            lambda w, noisy=noisy: restoration.denoise_tv_chambolle(
                noisy, weight=w
            ),
            [f * s / 255.0 for f in (0.5, 1.0, 2.0, 4.0)],
        )
        bilateral_color[s] = best(
            lambda c, noisy=noisy: restoration.denoise_bilateral(
                noisy, sigma_color=c, sigma_spatial=2.0
            ),
            [f * s / 255.0 for f in (0.5, 1.0, 2.0, 4.0)],
        )
    return tv_weight, bilateral_color


def main():
    def extra(parser):
        parser.add_argument(
            "--budget",
            type=float,
            default=None,
            help="training seconds for the residual denoiser (the AEs get a "
            "third each; default 150, 4 with --quick)",
        )

    args = _common.parse_args(
        __doc__.splitlines()[0],
        "benchmarks/results/denoising_quality.json",
        extra,
    )
    report = _common.Report("denoising_quality", args)
    quick = args.quick
    budget = args.budget or (4.0 if quick else 150.0)
    patch = 16 if quick else 40
    crop = 48 if quick else 240
    keras.utils.set_random_seed(0)
    train_patches, _ = keras_denoise.datasets.natural_patches(
        patch_size=patch,
        patches_per_image=16 if quick else 256,
        held_out=HELD_OUT,
        grayscale=True,
        seed=0,
    )
    L = keras_denoise.layers
    blind = (5 / 255.0, 55 / 255.0)
    models = {
        "residual_denoiser (depth 8, 32 filters, no BN)": (
            keras_denoise.models.residual_denoiser(
                channels=1,
                depth=8,
                filters=32,
                # As in `keras-denoise train`: without batch normalization
                # the small network learns faster in a few hundred steps.
                batch_norm=False,
                corruption=L.AdditiveGaussianNoise(blind, seed=1),
            ),
            budget,
            3e-3,  # the peak of `keras-denoise train`
            whole,
        ),
        "conv_autoencoder (32, 64)": (
            keras_denoise.models.conv_autoencoder(
                (patch, patch, 1),
                corruption=L.AdditiveGaussianNoise(blind, seed=2),
            ),
            budget / 3,
            3e-3,
            lambda m: tiled(m, patch),
        ),
        "dense_autoencoder (512, latent 128)": (
            keras_denoise.models.dense_autoencoder(
                (patch, patch, 1),
                hidden_units=(512,),
                latent_dim=128,
                corruption=L.AdditiveGaussianNoise(blind, seed=3),
            ),
            budget / 3,
            1e-3,  # at 3e-3 its output collapsed to a constant
            lambda m: tiled(m, patch),
        ),
    }
    methods = {}
    training_rows = []
    for name, (model, seconds, peak, wrap) in models.items():
        start = time.perf_counter()
        steps = train(model, train_patches, seconds, peak)
        training_rows.append(
            [
                name,
                model.count_params(),
                peak,
                seconds,
                time.perf_counter() - start,
                steps,
            ]
        )
        apply = wrap(model)
        methods[name] = lambda image, s, apply=apply: apply(image)
    report.table(
        f"Training under a fixed budget ({len(train_patches)} grayscale "
        f"{patch}x{patch} patches, batch 32, Adam with its learning rate "
        "cosine-decayed from a peak over the budget, blind sigma 5-55)",
        ["model", "parameters", "peak lr", "budget s", "trained s", "steps"],
        training_rows,
    )
    tune_image = center_crop(
        keras_denoise.datasets.load_natural_images(["chelsea"], grayscale=True)[
            "chelsea"
        ],
        crop // 2,
    )
    tv_weight, bilateral_color = tune(tune_image, SIGMAS)
    report.note(
        "Tuned on a crop of 'chelsea' (a training image): TV weight "
        + ", ".join(f"sigma {s}: {tv_weight[s]:.3f}" for s in SIGMAS)
        + "; bilateral sigma_color "
        + ", ".join(f"sigma {s}: {bilateral_color[s]:.3f}" for s in SIGMAS)
    )
    methods.update(skimage_methods(tv_weight, bilateral_color))
    wavelet_skipped = "skimage denoise_wavelet" not in methods
    if wavelet_skipped:
        report.note(
            "PyWavelets is not installed: denoise_wavelet skipped "
            "(pip install '.[bench]')."
        )
    test_images = keras_denoise.datasets.load_natural_images(
        list(HELD_OUT[:1] if quick else HELD_OUT), grayscale=True
    )
    test_images = {n: center_crop(im, crop) for n, im in test_images.items()}
    for apply in list(methods.values())[:3]:  # warm-up (tracing)
        apply(next(iter(test_images.values())), 25)
    results = {}  # (method, sigma) -> list of (psnr, ssim, seconds)
    for s in SIGMAS:
        for i, clean in enumerate(test_images.values()):
            noisy = noisy_version(clean, s, seed=1000 * s + i)
            results.setdefault(("noisy input", s), []).append(
                (*scores(clean, noisy), 0.0)
            )
            for name, apply in methods.items():
                start = time.perf_counter()
                denoised = apply(noisy, s)
                seconds = time.perf_counter() - start
                results.setdefault((name, s), []).append(
                    (*scores(clean, np.asarray(denoised)), seconds)
                )
    names = ["noisy input"] + list(methods)
    rows = []
    for name in names:
        row = [name]
        for s in SIGMAS:
            values = np.asarray(results[(name, s)])
            row += [float(values[:, 0].mean()), float(values[:, 1].mean())]
        row.append(
            float(np.median([v[2] for s in SIGMAS for v in results[(name, s)]]))
            * 1e3
        )
        rows.append(row)
    headers = ["method"]
    for s in SIGMAS:
        headers += [f"PSNR σ={s}", f"SSIM σ={s}"]
    headers.append(f"ms per {crop}x{crop} image")
    if wavelet_skipped:
        # A row that says so, rather than a method missing from the table.
        rows.append(
            [
                "skimage denoise_wavelet: skipped, PyWavelets not installed "
                "(pip install '.[bench]')"
            ]
            + ["skipped"] * (len(headers) - 1)
        )
    report.table(
        f"Held-out images ({', '.join(test_images)}), {crop}x{crop} center "
        "crops, grayscale; mean PSNR (dB) / SSIM over the images",
        headers,
        rows,
    )
    report.write()


if __name__ == "__main__":
    main()
