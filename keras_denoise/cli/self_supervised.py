"""`keras-denoise train --self-supervised`: a denoiser trained from a
folder of noisy images alone.

Noise2Void or Neighbor2Neighbor (`keras_denoise.models`) train the DnCNN
of `residual_denoiser` on random crops streamed from `--data NOISY_DIR`;
the plain denoiser is saved as `model.keras`, so `denoise` and `evaluate`
use it as any other. Without clean images there is no PSNR: the run
reports the noise sigma estimated blindly (Immerkaer's method,
`keras_denoise.evaluation.estimate_noise_sigma`) on the noisy files and on
their denoised versions; `--reference CLEAN_DIR` (files of the same names)
adds PSNR and SSIM against the clean images.

Self-supervised training needs no clean target, so it trains on every file
and is evaluated on the same files (the first `--max-eval-images`): these
methods are used to denoise the very images they learn from.
"""

import os
import time

from keras_denoise.cli._runtime import CLIError
from keras_denoise.cli._runtime import say

METHODS = ("noise2void", "neighbor2neighbor")
# Batches per epoch: a folder of a few files gives few crops per pass, so
# an epoch is a fixed number of batches of crops drawn afresh.
STEPS_PER_EPOCH = 50
# Random crops taken from each decoded file: decoding a photograph once
# for several crops keeps the input pipeline ahead of the model.
CROPS_PER_IMAGE = 8
# Side of the centre crops shown in examples.png, and how many files.
EXAMPLE_SIZE = 128
EXAMPLE_COUNT = 4


def add_arguments(parser):
    """Adds `--self-supervised` and `--reference` to `train`'s parser."""
    parser.add_argument(
        "--self-supervised",
        choices=METHODS,
        default=None,
        metavar="METHOD",
        help=(
            "train from the noisy images of --data NOISY_DIR alone, with "
            f"{' or '.join(METHODS)}: the DnCNN of residual_denoiser "
            "(--depth, --filters; without its residual skip for "
            f"noise2void) on --patch-size crops, {STEPS_PER_EPOCH} batches "
            "per epoch, trained and evaluated on every file; writes "
            "model.keras (the plain denoiser), metrics.json (noise sigma "
            "estimated before and after), history.png and examples.png "
            "(--noise and --patches-per-image do not apply)"
        ),
    )
    parser.add_argument(
        "--reference",
        default=None,
        metavar="CLEAN_DIR",
        help=(
            "with --self-supervised: clean images of the same file names "
            "as --data, used only to report PSNR/SSIM, never for training"
        ),
    )


def check(options, data_spec, default_noise):
    """Checks a self-supervised run's options and files, before any work.

    Args:
        options: the `TrainOptions`.
        data_spec: `options.data` parsed by `specs.parse_data`.
        default_noise: `train`'s default `--noise`, the only value it
            accepts (it has no corruption to add).

    Returns:
        The sorted noisy file paths.

    Raises:
        CLIError: for options that do not apply, data that are not a
            folder of images, or a `--reference` folder that does not
            match it.
    """
    method = options.self_supervised
    if method is None:
        raise CLIError(
            "--reference applies to --self-supervised training only "
            "(supervised training is scored against its own clean "
            f"images); got --reference {options.reference}"
        )
    if data_spec[0] == "bundled":
        raise CLIError(
            f"--self-supervised {method} trains from noisy images alone: "
            "--data must be a directory of noisy images, not the bundled "
            f"clean data {data_spec[1]!r}"
        )
    if data_spec[0] == "pairs":
        raise CLIError(
            f"--self-supervised {method} takes no clean targets: give "
            f"--data NOISY_DIR alone (got {options.data!r}); train on pairs "
            "of independent noisy captures (Noise2Noise) with "
            "--data NOISY_A:NOISY_B and no --self-supervised"
        )
    if options.model != "residual_denoiser":
        raise CLIError(
            f"--self-supervised {method} trains its own network (the DnCNN "
            "of residual_denoiser, sized by --depth and --filters): "
            f"--model does not apply (got --model {options.model})"
        )
    if options.noise != default_noise:
        raise CLIError(
            f"--self-supervised {method} adds no noise (the noise is in "
            f"the data): --noise does not apply (got --noise {options.noise})"
        )
    from keras_denoise import datasets

    path = data_spec[1]
    try:
        files = datasets.list_image_files(path)
        infos = [datasets.read_image_info(p) for p in files]
    except (OSError, ValueError) as error:
        raise CLIError(
            f"--data {path} is not a folder of images: {_first_line(error)}"
        ) from None
    small = [
        os.path.basename(p)
        for p, info in zip(files, infos, strict=True)
        if min(info.height, info.width) < options.patch_size
    ]
    if small:
        raise CLIError(
            f"--data {path}: {', '.join(small[:3])} smaller than "
            f"--patch-size {options.patch_size}; lower --patch-size"
        )
    if options.reference is not None:
        if not os.path.isdir(options.reference):
            raise CLIError(
                f"--reference directory not found: {options.reference}"
            )
        try:
            noisy, clean = datasets.match_pairs(path, options.reference)
            datasets.check_pairs(noisy, clean)
        except (OSError, ValueError) as error:
            raise CLIError(
                f"--reference {options.reference} does not match --data "
                f"{path}: {_first_line(error)}"
            ) from None
    return files


def _first_line(error):
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def build_denoiser(method, channels, depth, filters):
    """The network a method trains: a DnCNN without batch normalization,
    and for Noise2Void without its residual skip (the wrapper's docstring
    says why)."""
    import keras

    from keras_denoise import models
    from keras_denoise.cli import building

    dncnn = models.residual_denoiser(
        channels=channels,
        depth=depth or building.DEFAULT_DEPTH,
        filters=filters or building.DEFAULT_FILTERS,
        batch_norm=False,
    )
    if method == "neighbor2neighbor":
        return dncnn
    return keras.Model(
        dncnn.input, dncnn.get_layer("noise").output, name="dncnn_no_skip"
    )


def train(options, data_spec, default_noise):
    """Runs `train --self-supervised`; returns the exit status."""
    from keras_denoise.cli._runtime import import_keras
    from keras_denoise.cli._runtime import save_model_atomic
    from keras_denoise.cli.outputs import check_output_dir
    from keras_denoise.cli.outputs import make_output_dir

    files = check(options, data_spec, default_noise)
    check_output_dir(options.output)
    started = time.time()
    keras = import_keras()
    keras.utils.set_random_seed(options.seed)
    from keras_denoise import datasets
    from keras_denoise import models
    from keras_denoise.cli import building

    channels = 1 if datasets.read_image_info(files[0]).channels in (1, 2) else 3
    # Streamed: one file decoded at a time, crops drawn afresh each epoch.
    stream = datasets.image_directory(
        data_spec[1],
        crop_size=options.patch_size,
        batch_size=options.batch_size,
        channels=channels,
        seed=options.seed,
        repeat=True,
        crops_per_image=CROPS_PER_IMAGE,
    )
    denoiser = build_denoiser(
        options.self_supervised, channels, options.depth, options.filters
    )
    wrapper_class = {
        "noise2void": models.Noise2Void,
        "neighbor2neighbor": models.Neighbor2Neighbor,
    }[options.self_supervised]
    wrapper = wrapper_class(denoiser, seed=options.seed)
    steps = options.epochs * STEPS_PER_EPOCH
    # The supervised denoiser's recipe: Adam, cosine decay over the run.
    schedule = keras.optimizers.schedules.CosineDecay(
        building.LEARNING_RATE, steps, alpha=0.05
    )
    wrapper.compile(optimizer=keras.optimizers.Adam(schedule))
    say(
        f"Training {denoiser.name} ({denoiser.count_params()} parameters) "
        f"with {options.self_supervised} on {len(files)} noisy images for "
        f"{options.epochs} epoch(s) of {STEPS_PER_EPOCH} batches"
    )
    history = wrapper.fit(
        stream,
        epochs=options.epochs,
        steps_per_epoch=STEPS_PER_EPOCH,
        verbose=options.verbose,
        shuffle=False,
    )
    train_seconds = time.time() - started
    model_path = os.path.join(options.output, "model.keras")
    make_output_dir(options.output)
    save_model_atomic(denoiser, model_path)
    try:
        summary = _write_outputs(
            denoiser, files, channels, options, history, train_seconds
        )
    except Exception as error:  # noqa: BLE001 - say the model is safe
        raise CLIError(
            f"{_first_line(error)} (training finished: the model is saved "
            f"in {model_path}, the other outputs were not written)"
        ) from None
    _print_summary(summary)
    say(
        f"Wrote {options.output}/model.keras, metrics.json, history.png and "
        f"examples.png in {time.time() - started:.0f} s"
    )
    return 0


def _evaluate(model, files, channels, reference):
    """Per file: sigma estimated before and after, and with `reference`
    PSNR/SSIM of both against the clean file. Also the examples' crops."""
    from keras_denoise.cli.data import read_images
    from keras_denoise.cli.restore import denoise_array
    from keras_denoise.evaluation import estimate_noise_sigma
    from keras_denoise.evaluation import image_metrics

    clean_images = None
    if reference is not None:
        from keras_denoise import datasets

        # Matched by name without extension, as `check` verified.
        _, clean_files = datasets.match_pairs(
            os.path.dirname(files[0]), reference
        )
        by_stem = {_stem(p): p for p in clean_files}
        clean_images = read_images(
            [by_stem[_stem(p)] for p in files], channels, None
        )
    rows, examples = [], []
    noisy_images = read_images(files, channels, None)
    for path, noisy in zip(files, noisy_images, strict=True):
        denoised = denoise_array(model, noisy)
        row = {
            "file": os.path.basename(path),
            "sigma_input": 255 * estimate_noise_sigma(noisy),
            "sigma_output": 255 * estimate_noise_sigma(denoised),
        }
        clean = next(clean_images) if clean_images is not None else None
        if clean is not None:
            for name, image in (("input", noisy), ("output", denoised)):
                figures = image_metrics(clean[None], image[None])
                row[f"psnr_{name}"] = figures["psnr"]
                row[f"ssim_{name}"] = figures["ssim"]
        if len(examples) < EXAMPLE_COUNT:
            examples.append(
                [_centre(x) for x in (noisy, denoised, clean) if x is not None]
            )
        rows.append(row)
    return rows, examples


def _stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def _centre(image):
    height = min(EXAMPLE_SIZE, image.shape[0])
    width = min(EXAMPLE_SIZE, image.shape[1])
    top = (image.shape[0] - height) // 2
    left = (image.shape[1] - width) // 2
    return image[top : top + height, left : left + width]


def _mean(rows, key):
    values = [row[key] for row in rows if row.get(key) is not None]
    return round(sum(values) / len(values), 4) if values else None


def _write_outputs(model, files, channels, options, history, train_seconds):
    import numpy as np

    from keras_denoise.cli.outputs import Outputs
    from keras_denoise.cli.outputs import write_json
    from keras_denoise.visualization import history_plot
    from keras_denoise.visualization import image_grid

    files = files[: options.max_eval_images]
    say(f"Evaluating on {len(files)} of the noisy images ...")
    rows, examples = _evaluate(model, files, channels, options.reference)
    summary = {
        "self_supervised": options.self_supervised,
        "data": options.data,
        "reference": options.reference,
        "num_images": len(rows),
        # Estimated blindly on the 0-255 scale, averaged over the files.
        "noise_sigma": {
            "input": _mean(rows, "sigma_input"),
            "output": _mean(rows, "sigma_output"),
        },
    }
    if options.reference is not None:
        for metric in ("psnr", "ssim"):
            summary[metric] = {
                "input": _mean(rows, f"{metric}_input"),
                "output": _mean(rows, f"{metric}_output"),
            }
    summary.update(
        {
            "images": rows,
            "network": model.name,
            "parameters": int(model.count_params()),
            "epochs": options.epochs,
            "steps": options.epochs * STEPS_PER_EPOCH,
            "batch_size": options.batch_size,
            "patch_size": options.patch_size,
            "train_seconds": round(train_seconds, 1),
            "history": {
                k: [float(v) for v in vs] for k, vs in history.history.items()
            },
        }
    )
    height = min(e[0].shape[0] for e in examples)
    width = min(e[0].shape[1] for e in examples)
    grid_rows = [
        np.stack([e[i][:height, :width] for e in examples])
        for i in range(len(examples[0]))
    ]
    labels = ["noisy", "denoised", "reference"][: len(grid_rows)]
    with Outputs(options.output) as outputs:
        image_grid(
            grid_rows, outputs.path("examples.png"), labels=labels, scale=1
        )
        history_plot(history, outputs.path("history.png"))
        write_json(outputs.path("metrics.json"), summary)
    return summary


def _print_summary(summary):
    sigma = summary["noise_sigma"]
    say(
        f"Estimated noise sigma (0-255): {sigma['input']:.2f} -> "
        f"{sigma['output']:.2f} on {summary['num_images']} images"
    )
    if "psnr" in summary:
        psnr, ssim = summary["psnr"], summary["ssim"]
        say(
            f"Against --reference: PSNR {psnr['input']:.2f} -> "
            f"{psnr['output']:.2f} dB, SSIM {ssim['input']:.4f} -> "
            f"{ssim['output']:.4f}"
        )
