"""The `keras-denoise` command: train, denoise, evaluate and sample.

Run `keras-denoise --help` or `keras-denoise <command> --help`. Errors are
reported as one line on stderr (`keras-denoise: error: ...`) with a
non-zero exit status and no traceback; outputs are written under temporary
names and renamed, so a failed run leaves no half-written file. Set
`KERAS_DENOISE_DEBUG=1` to see the traceback of an unexpected error.

The arguments are parsed before Keras is imported: the modules imported
here, and at the top of the command modules, import no backend, so
`--help`, `--version` and usage errors answer at once.
"""

import argparse
import os
import sys

from keras_denoise.cli._argtypes import positive_float as _positive_float
from keras_denoise.cli._argtypes import positive_int as _positive_int

PROG = "keras-denoise"

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr."""

    def error(self, message):
        self.exit(2, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


def version_text():
    """`keras-denoise X.Y.Z (Keras A.B.C, Python D.E.F)`, read from the
    installed distributions' metadata without importing Keras; a checkout
    that is not installed gives the package's own `__version__`."""
    import platform
    from importlib import metadata

    try:
        version = metadata.version("keras-denoise")
    except metadata.PackageNotFoundError:
        from keras_denoise import __version__ as version
    try:
        keras_version = f"Keras {metadata.version('keras')}, "
    except metadata.PackageNotFoundError:
        keras_version = ""
    return (
        f"{PROG} {version} ({keras_version}Python {platform.python_version()})"
    )


def _progress_options(parser):
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=0,
        help="no progress output",
    )
    group.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=2,
        help=(
            "one line per file (default: a progress bar with ETA over the "
            "files on a terminal, nothing when piped)"
        ),
    )


def _common(parser):
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed (default: 0)"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help=(
            "replace the content of a non-empty --output as a whole "
            "(refused without it)"
        ),
    )


def build_parser():
    """The `argparse` parser of the `keras-denoise` command."""
    from keras_denoise.cli import building
    from keras_denoise.cli import denoise as denoise_command
    from keras_denoise.cli import evaluate as evaluate_command
    from keras_denoise.cli import sample as sample_command
    from keras_denoise.cli import self_supervised
    from keras_denoise.cli import train as train_command
    from keras_denoise.cli import workers

    parser = _Parser(
        prog=PROG,
        description=(
            "Train, apply and evaluate denoising autoencoders and VAEs "
            "(keras_denoise)."
        ),
    )
    parser.add_argument("--version", action="version", version=version_text())
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser
    )
    sub.required = True

    train = sub.add_parser(
        "train",
        help="train a model and write model.keras, metrics.json and PNGs",
        description=(
            "Train a denoiser. With no options: a small DnCNN "
            "(residual_denoiser) on grayscale patches of the photographs "
            "bundled with scikit-image, against blind Gaussian noise of "
            "sigma 0-50 (0-255 scale); a few minutes on a laptop CPU. "
            "Writes OUTPUT/model.keras (as soon as training ends), "
            "OUTPUT/metrics.json (held-out PSNR/SSIM/MSE per corruption, "
            "with a total-variation baseline), OUTPUT/history.png (training "
            "curves), OUTPUT/evaluation.png (PSNR per corruption) and "
            "OUTPUT/examples_*.png. Held out: photographs astronaut, camera "
            "and coins (natural data), the test split (labelled sets), or "
            "a seeded tenth of the files (directories, pairs), evaluated "
            "at full size one file at a time (in overlapping tiles, as "
            "denoise runs them). Models with a fixed input "
            "size (all but residual_denoiser) are evaluated at that size: "
            "held-out patches of it, or centre crops of the held-out files "
            "(enlarged first when smaller)."
        ),
    )
    train.add_argument(
        "--model",
        choices=building.MODELS,
        default=None,
        help=(
            "model builder (default: residual_denoiser). "
            "backbone_autoencoder: encoder from --backbone; "
            "denoise_classifier, inception_denoise_classifier, "
            "cnn_classifier (trained on corrupted images) and "
            "latent_classifier (a conv autoencoder trained as a denoiser, "
            "saved as autoencoder.keras, then a classifier on its frozen "
            "encoder) need labelled data and report accuracy per "
            "corruption"
        ),
    )
    train.add_argument(
        "--init",
        choices=building.PRETRAINED,
        default=None,
        metavar="NAME",
        help=(
            "fine-tune a shipped trained denoiser instead of building a new "
            f"model: {', '.join(building.PRETRAINED)} (gray or RGB data to "
            "match)"
        ),
    )
    train.add_argument(
        "--backbone",
        default=building.DEFAULT_BACKBONE,
        metavar="NAME",
        help=(
            "keras.applications model used as the encoder of "
            "backbone_autoencoder, built without weights (most need "
            f"images of at least 32x32; default: {building.DEFAULT_BACKBONE})"
        ),
    )
    train.add_argument(
        "--data",
        default="natural",
        metavar="SPEC",
        help=(
            "natural | natural-rgb | digits | faces | mnist | fashion "
            "(mnist/fashion download once) | a directory of images | "
            "NOISY_DIR:CLEAN_DIR pairs matched by file name "
            "(default: natural)"
        ),
    )
    train.add_argument(
        "--noise",
        default=train_command.DEFAULT_NOISE,
        metavar="SPEC",
        help=(
            "corruption: KIND:VALUE or KIND:LOW-HIGH with KIND gaussian "
            "(0-255 scale), speckle, saltpepper (rate), poisson (peak), "
            "blur (sigma, pixels); '+' chains, ',' mixes per image, e.g. "
            "'gaussian:0-50,saltpepper:0.05' or 'gaussian:10+blur:1'; "
            "'clean' leaves images as they are (alone: a plain "
            "autoencoder; 'gaussian:25,clean': half the images clean) "
            f"(default: {train_command.DEFAULT_NOISE}; ignored for pairs)"
        ),
    )
    train.add_argument(
        "--epochs", type=_positive_int, default=6, help="(default: 6)"
    )
    train.add_argument(
        "--batch-size", type=_positive_int, default=32, help="(default: 32)"
    )
    train.add_argument(
        "--patch-size",
        type=_positive_int,
        default=train_command.DEFAULT_PATCH,
        help=(
            "training crop size for natural images and directories, and "
            "the input size of fixed-size models trained on them "
            f"(default: {train_command.DEFAULT_PATCH})"
        ),
    )
    train.add_argument(
        "--patches-per-image",
        type=_positive_int,
        default=None,
        metavar="N",
        help=(
            "training patches per image per epoch: per bundled photograph "
            "(default: 192); random crops per file of a directory or pair "
            "(default: enough for an epoch of at least 2048 patches, at "
            "most 64 per file); noisy copies of each image of a labelled "
            "set (default: 1)"
        ),
    )
    train.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=None,
        metavar="LR",
        help=(
            "Adam's learning rate (default: the recipe's: 0.003 decayed "
            "along a cosine for denoisers, Adam's 0.001 for the others; "
            "a given rate starts the cosine decay of denoisers)"
        ),
    )
    train.add_argument(
        "--eval-images",
        type=_positive_int,
        default=8,
        help=(
            "held-out patches per held-out photograph of natural data; "
            "labelled sets evaluate 8 times as many test images, at least "
            "32 (default: 8)"
        ),
    )
    train.add_argument(
        "--max-train-images",
        type=_positive_int,
        default=None,
        metavar="N",
        help=(
            "digits, faces, mnist, fashion: train on the first N training "
            "images only, for quick trials (default: all)"
        ),
    )
    train.add_argument(
        "--image-size",
        type=_positive_int,
        default=None,
        metavar="N",
        help="side of the digits (default 16) and faces (default 24) images",
    )
    train.add_argument(
        "--max-eval-images",
        type=_positive_int,
        default=train_command.DEFAULT_MAX_EVAL_FILES,
        metavar="N",
        help=(
            "directories and pairs: evaluate at most N of the held-out "
            "files, at full size (default: "
            f"{train_command.DEFAULT_MAX_EVAL_FILES})"
        ),
    )
    train.add_argument(
        "--depth",
        type=_positive_int,
        default=None,
        help=f"residual_denoiser depth (default: {building.DEFAULT_DEPTH})",
    )
    train.add_argument(
        "--filters",
        type=_positive_int,
        default=None,
        help=(
            f"residual_denoiser filters (default: {building.DEFAULT_FILTERS})"
        ),
    )
    train.add_argument(
        "--output",
        default=os.path.join("runs", "default"),
        metavar="DIR",
        help="output directory (default: runs/default)",
    )
    train.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=None,
        help=(
            "fit verbosity: 0 silent, 1 progress bar, 2 one line per epoch "
            "(default: 1 on a terminal, 2 when the output is piped or "
            "redirected)"
        ),
    )
    self_supervised.add_arguments(train)
    _common(train)
    workers.add_arguments(train)
    train.set_defaults(run=workers.runner(train_command.run))

    denoise = sub.add_parser(
        "denoise",
        help="denoise image files or directories with a trained model",
        description=(
            "Denoise PNG/JPEG/BMP files (gray or RGB, any size, 8 or 16 "
            "bit) with a .keras model; results keep their names, format "
            "and bit depth in the output directory."
        ),
    )
    denoise.add_argument("inputs", nargs="+", metavar="INPUT")
    denoise.add_argument(
        "--model",
        default=None,
        metavar="PATH",
        help=(
            "a .keras model, or the name of a shipped model "
            f"({', '.join(building.PRETRAINED)}); default: the shipped "
            "model matching each image's channels (gaussian_gray for gray "
            "images, gaussian_color for colour ones)"
        ),
    )
    denoise.add_argument(
        "--noise-level",
        type=float,
        default=None,
        metavar="SIGMA",
        help=(
            "noise standard deviation on the 0-255 scale, for a model with "
            "a noise-level input (unet_denoiser(noise_level_input=True)); "
            "the shipped models are blind and estimate it themselves"
        ),
    )
    denoise.add_argument(
        "--self-ensemble",
        action="store_true",
        help=(
            "average the results of the image's eight flips and rotations: "
            "a little sharper and cleaner, eight times slower"
        ),
    )
    denoise.add_argument("--output", required=True, metavar="DIR")
    denoise.add_argument(
        "--batch-size", type=_positive_int, default=4, help="tiles per batch"
    )
    denoise.add_argument(
        "--max-megapixels",
        type=_positive_float,
        default=denoise_command.MAX_MEGAPIXELS,
        metavar="MP",
        help=(
            "largest image accepted, in millions of pixels (default: "
            f"{denoise_command.MAX_MEGAPIXELS:g}; it is restored in tiles "
            "and needs about 20 bytes of memory per pixel)"
        ),
    )
    _progress_options(denoise)
    _common(denoise)
    denoise.set_defaults(run=denoise_command.run)

    evaluate = sub.add_parser(
        "evaluate",
        help="print a model's per-corruption PSNR/SSIM/MSE table",
        description=(
            "Evaluate a .keras model: PSNR, SSIM and MSE of the corrupted "
            "input and of the model's output, per corruption, with a "
            "total-variation baseline; for classifiers (and the label "
            "output of dual models) the accuracy per corruption, on "
            "labelled data. Bundled data: their held-out part, "
            "as for train. A directory (or NOISY_DIR:CLEAN_DIR pairs) is "
            "a test set: every image (pair) is evaluated at full size, "
            "read one file at a time and restored in overlapping tiles as "
            "denoise does; models with a fixed input size get centre crops "
            "of that size (enlarged first when smaller)."
        ),
    )
    evaluate.add_argument("--model", required=True, metavar="PATH")
    evaluate.add_argument(
        "--data", default="natural", metavar="SPEC", help="as for train"
    )
    evaluate.add_argument(
        "--noise",
        default=None,
        metavar="SPEC",
        help=(
            "as for train; ranges are evaluated at 30/50/100 %% of the "
            "range (default: gaussian, salt-and-pepper, blur, noise+blur "
            "and clean)"
        ),
    )
    evaluate.add_argument(
        "--output",
        default=None,
        metavar="DIR",
        help=(
            "also write DIR/metrics.json, DIR/evaluation.png (PSNR per "
            "corruption) and DIR/examples_*.png"
        ),
    )
    evaluate.add_argument("--batch-size", type=_positive_int, default=32)
    evaluate.add_argument(
        "--eval-images",
        type=_positive_int,
        default=8,
        help="as for train (default: 8)",
    )
    evaluate.add_argument(
        "--image-size",
        type=_positive_int,
        default=None,
        metavar="N",
        help="as for train",
    )
    evaluate.add_argument(
        "--max-eval-images",
        type=_positive_int,
        default=None,
        metavar="N",
        help="directories and pairs: only the first N files (default: all)",
    )
    _progress_options(evaluate)
    _common(evaluate)
    evaluate.set_defaults(run=evaluate_command.run)

    sample = sub.add_parser(
        "sample",
        help="write a grid of images generated by a VAE's decoder",
        description=(
            "Decode N latent codes drawn from N(0, I) with the 'decoder' "
            "sub-model of a variational autoencoder and save them as a PNG "
            "grid."
        ),
    )
    sample.add_argument("--model", required=True, metavar="PATH")
    sample.add_argument(
        "--n", type=_positive_int, default=16, help="(default: 16)"
    )
    sample.add_argument("--output", required=True, metavar="FILE")
    _common(sample)
    sample.set_defaults(run=sample_command.run)
    return parser


def _one_line(error):
    text = " ".join(str(error).split())
    return text or type(error).__name__


def main(argv=None):
    """Runs the command line; returns the exit status.

    Args:
        argv: arguments without the program name; `None` reads
            `sys.argv[1:]`. Defaults to `None`.

    Returns:
        `0` on success, `1` on an error, `2` on a usage error.
    """
    from keras_denoise.cli import _signals
    from keras_denoise.cli._runtime import CLIError
    from keras_denoise.cli._runtime import guard_stdout
    from keras_denoise.cli._runtime import start_keras

    _signals.install()
    guard_stdout()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        start_keras(first_op=getattr(args, "cluster", None) is None)
        _signals.raise_received()
        return args.run(args)
    except (CLIError, ValueError, TypeError, OSError, ImportError) as error:
        if os.environ.get("KERAS_DENOISE_DEBUG"):
            raise
        print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as interrupt:
        status, words = _signals.describe(interrupt)
        note = getattr(interrupt, "note", "")
        print(f"{PROG}: error: {words}{note}", file=sys.stderr)
        return status
    except Exception as error:  # noqa: BLE001 - never a traceback
        if os.environ.get("KERAS_DENOISE_DEBUG"):
            raise
        print(
            f"{PROG}: error: {type(error).__name__}: {_one_line(error)}",
            file=sys.stderr,
        )
        return 1
