"""Set12 (or any folder) with the DnCNN protocol, next to the published table.

Denoises every image of each folder at sigma 15, 25 and 50 (noise on the
0-255 scale added in float, seeded, unclipped; outputs clipped and rounded
to 8 bits; PSNR per image, averaged; SSIM beside it) with the package's
shipped `gaussian_gray` model (plain, and with the x8 flip/rotation
self-ensemble), and in the same run with scikit-image's NL-means, TV and
wavelet denoisers and BM3D (the `bm3d` package, CBM3D on colour images:
bench extra only, its licence is non-commercial, never a runtime
dependency of the package). The
classical denoisers are given the true sigma, as in the published BM3D
figures; the shipped model is blind. Then times each method on one
512x512 image in milliseconds per megapixel.

    python benchmarks/published_tables.py --data ../shared/data/set12 \\
        [--data ../path/to/BSD68] [--quick] [--output PATH]
    python benchmarks/published_tables.py --model gaussian_color
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import time  # noqa: E402

import _common  # noqa: E402
import _protocol  # noqa: E402
import numpy as np  # noqa: E402

import keras_denoise  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "shared", "data", "set12")
# The colour models' default test image: the photograph held out of their
# training (benchmarks/train_pretrained.py), as it ships with scikit-image.
HELD_OUT = "astronaut"
DEFAULT_OUTPUT = os.path.join(HERE, "results", "published_tables.json")
# TV's weight per sigma, picked by a grid search on a Train400 image (not
# a test image): the weight that gave the best PSNR there, as a multiple
# of sigma on the [0, 1] scale.
TV_WEIGHT_PER_SIGMA = 0.85


def _extra(parser):
    parser.add_argument(
        "--data",
        action="append",
        default=None,
        help="folder of test images (repeatable; default: Set12 in the "
        f"shared data folder for gray models, the bundled {HELD_OUT!r} "
        "photograph that colour models were not trained on)",
    )
    parser.add_argument(
        "--model",
        default="gaussian_gray",
        help="shipped model to measure (default: gaussian_gray)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        help="method to leave out (repeatable), e.g. --skip bm3d",
    )


def classical_methods():
    """`{name: denoise(noisy, sigma)}` of the classical denoisers.

    Each takes an (h, w, channels) float image and the true sigma on the
    0-255 scale and returns the same shape; colour images go to BM3D's
    colour version (CBM3D, block matching on luma in the opponent colour
    space).
    """
    from skimage import restoration

    def nl_means(noisy, sigma):
        s = sigma / 255.0
        return restoration.denoise_nl_means(
            noisy,
            h=0.8 * s,
            sigma=s,
            fast_mode=True,
            patch_size=5,
            patch_distance=6,
            channel_axis=-1,
        )

    def tv(noisy, sigma):
        return restoration.denoise_tv_chambolle(
            noisy, weight=TV_WEIGHT_PER_SIGMA * sigma / 255.0, channel_axis=-1
        )

    def wavelet(noisy, sigma):
        return restoration.denoise_wavelet(
            noisy,
            sigma=sigma / 255.0,
            method="BayesShrink",
            mode="soft",
            rescale_sigma=True,
            channel_axis=-1,
        )

    def bm3d(noisy, sigma):
        import bm3d as bm3d_package

        if noisy.shape[-1] == 3:
            out = bm3d_package.bm3d_rgb(noisy, sigma_psd=sigma / 255.0)
        else:
            out = bm3d_package.bm3d(noisy[..., 0], sigma_psd=sigma / 255.0)
        return np.asarray(out, "float32")

    def same_shape(fn):
        # scikit-image and bm3d drop a channel axis of size one.
        def run(noisy, sigma):
            return np.reshape(fn(noisy, sigma), noisy.shape).astype("float32")

        return run

    return {
        "BM3D": same_shape(bm3d),
        "NL-means": same_shape(nl_means),
        "TV": same_shape(tv),
        "wavelet": same_shape(wavelet),
    }


def methods(model, quick, skip):
    """`{name: denoise(noisy, sigma)}` of every method of the run."""
    from keras_denoise import inference

    def ours(noisy, sigma):
        return model.predict(noisy[None], verbose=0)[0]

    def ours_x8(noisy, sigma):
        return inference.predict_tiled(
            model, noisy, tile_size=None, self_ensemble=True
        )

    table = {
        f"{model.name} (ours)": ours,
        f"{model.name} x8 (ours)": ours_x8,
        **classical_methods(),
    }
    if quick:
        table.pop(f"{model.name} x8 (ours)")
    return {
        name: fn
        for name, fn in table.items()
        if not any(s.lower() in name.lower() for s in skip)
    }


def timing(denoisers, image, repeats):
    """Milliseconds per megapixel of each method on `image` (sigma 25)."""
    noisy = _protocol.noisy_version("timing", image, 25)
    megapixels = image.shape[0] * image.shape[1] / 1e6
    result = {}
    for name, fn in denoisers.items():
        fn(noisy, 25)  # warm-up: compilation, caches
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn(noisy, 25)
            times.append(time.perf_counter() - start)
        result[name] = 1000.0 * float(np.median(times)) / megapixels
    return result


def _is_held_out(folder):
    """Whether `folder` names the bundled held-out photograph (a real
    folder of that name wins)."""
    return folder == HELD_OUT and not os.path.isdir(folder)


def _load(folder, channels, quick):
    """The images of `folder`; in quick mode two small crops (or a bundled
    photograph when the folder is absent). `HELD_OUT` names the bundled
    photograph the colour models were not trained on."""
    if _is_held_out(folder):
        photo = keras_denoise.datasets.load_natural_images(
            [HELD_OUT], grayscale=channels == 1
        )[HELD_OUT]
        photo = photo[:48, :48] if quick else photo
        return {HELD_OUT: np.round(photo * 255) / 255}
    if quick and not os.path.isdir(folder):
        camera = keras_denoise.datasets.load_natural_images(
            ["camera"], grayscale=channels == 1
        )["camera"]
        return {"camera": np.round(camera[:48, :48] * 255) / 255}
    images = _protocol.load_folder(folder, channels)
    if quick:
        images = {n: im[:48, :48] for n, im in list(images.items())[:2]}
    return images


def _available(denoisers):
    """Drops BM3D when the `bm3d` package is missing (a row says so)."""
    skipped = []
    try:
        import bm3d  # noqa: F401
    except ImportError:
        denoisers.pop("BM3D", None)
        skipped.append("BM3D (skipped: the bm3d package is not installed)")
    return skipped


def main():
    args = _common.parse_args(
        __doc__.split("\n\n")[0], DEFAULT_OUTPUT, extra=_extra
    )
    if args.model != "gaussian_gray" and args.output == DEFAULT_OUTPUT:
        args.output = DEFAULT_OUTPUT.replace(".json", f"_{args.model}.json")
    report = _common.Report("published_tables", args)
    model = keras_denoise.models.pretrained(args.model)
    channels = model.inputs[0].shape[-1]
    folders = args.data or [DEFAULT_DATA if channels == 1 else HELD_OUT]
    denoisers = methods(model, args.quick, args.skip)
    skipped = _available(denoisers)
    sigmas = (25,) if args.quick else _protocol.SIGMAS
    headers = ["method"] + [
        f"σ {s} {m}" for s in _protocol.SIGMAS for m in ("PSNR", "SSIM")
    ]
    for folder in folders:
        title = os.path.basename(os.path.normpath(folder))
        if _is_held_out(folder):
            title = f"{HELD_OUT} (held out of training)"
        images = _load(folder, channels, args.quick)
        rows = []
        candidates = {"noisy input": lambda noisy, sigma: noisy, **denoisers}
        for name, fn in candidates.items():
            start = time.perf_counter()
            table = _protocol.score(images, fn, sigmas)
            row = [name]
            for s in _protocol.SIGMAS:
                row += (
                    [table[s]["psnr"], table[s]["ssim"]]
                    if s in table
                    else ["-", "-"]
                )
            rows.append(row)
            print(f"{title} {name}: {time.perf_counter() - start:.0f} s")
        rows += [[name] + ["-"] * (len(headers) - 1) for name in skipped]
        if title.lower() == "set12":
            for name, figures in _protocol.PUBLISHED_SET12.items():
                row = [f"{name} (published)"]
                for value in figures:
                    row += [value, "-"]
                rows.append(row)
        report.table(
            f"{title}: {len(images)} images, PSNR (dB) / SSIM", headers, rows
        )

    reference = next(
        (
            image
            for image in _load(folders[0], channels, args.quick).values()
            if image.shape[:2] == (512, 512)
        ),
        np.full((64, 64, channels), 0.5, "float32"),
    )
    repeats = 1 if args.quick else (args.repeats or 3)
    speed = timing(denoisers, reference, repeats)
    report.table(
        f"Speed on one {reference.shape[0]}x{reference.shape[1]} image "
        f"(median of {repeats})",
        ["method", "ms per megapixel"],
        [[name, ms] for name, ms in speed.items()],
    )
    report.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
