"""`keras-denoise train`: train a model, write it and its figures."""

import contextlib
import dataclasses
import os
import time

from keras_denoise.cli import specs
from keras_denoise.cli import workers
from keras_denoise.cli._options import from_namespace
from keras_denoise.cli._runtime import CLIError
from keras_denoise.cli._runtime import import_keras
from keras_denoise.cli._runtime import on_terminal
from keras_denoise.cli._runtime import save_model_atomic
from keras_denoise.cli._runtime import say
from keras_denoise.cli.building import LABELLED_MODELS
from keras_denoise.cli.data import LABELLED_DATA
from keras_denoise.cli.data import DataOptions
from keras_denoise.cli.data import check_data_options
from keras_denoise.cli.data import data_inputs
from keras_denoise.cli.data import load_data
from keras_denoise.cli.outputs import Outputs
from keras_denoise.cli.outputs import check_not_empty_path
from keras_denoise.cli.outputs import check_output_dir
from keras_denoise.cli.outputs import clear_previous
from keras_denoise.cli.outputs import created_dir_removed_on_failure
from keras_denoise.cli.outputs import output_lock
from keras_denoise.cli.outputs import write_json

DEFAULT_NOISE = "gaussian:0-50"
DEFAULT_PATCH = 40
# Held-out files of a directory evaluated after training, at full size.
DEFAULT_MAX_EVAL_FILES = 16
# Bounds that keep a mistyped size from filling the memory for minutes
# before failing: far above any model this command trains well.
MAX_DEPTH = 100
MAX_FILTERS = 1024
MAX_PATCH = 1024


@dataclasses.dataclass(frozen=True)
class TrainOptions:
    """The options of `keras-denoise train` (see its `--help`)."""

    model: str
    backbone: str
    data: str
    noise: str
    epochs: int
    batch_size: int
    patch_size: int
    patches_per_image: int
    eval_images: int
    max_train_images: int | None
    image_size: int | None
    max_eval_images: int | None
    depth: int | None
    filters: int | None
    learning_rate: float | None
    output: str
    verbose: int | None
    seed: int
    overwrite: bool = False
    init: str | None = None
    self_supervised: str | None = None
    reference: str | None = None

    def data_options(self):
        return DataOptions(
            seed=self.seed,
            eval_images=self.eval_images,
            image_size=self.image_size,
            max_train_images=self.max_train_images,
            max_eval_images=self.max_eval_images,
            patch_size=self.patch_size,
            patches_per_image=self.patches_per_image,
            batch_size=self.batch_size,
        )


def run(args):
    """Runs `train` with the parsed arguments; returns the exit status."""
    if args.init is not None:
        if args.model is not None:
            raise CLIError(
                f"--init {args.init} fine-tunes a shipped model: leave out "
                f"--model {args.model}"
            )
        if args.depth is not None or args.filters is not None:
            raise CLIError(
                f"--init {args.init} keeps the shipped architecture: leave "
                "out --depth and --filters"
            )
        args.model = "unet_denoiser"
    elif args.model is None:
        args.model = "residual_denoiser"
    return train(from_namespace(TrainOptions, args))


def train(options):
    """Trains, saves and evaluates a model; returns the exit status."""
    # Validate everything first, creating nothing: the specs, the output
    # path, then the data (pairs are matched, headers read) and the model.
    data_spec = specs.parse_data(options.data)
    mixture = specs.parse_noise(options.noise)
    if options.epochs < 1 or options.batch_size < 1:
        raise CLIError("--epochs and --batch-size must be at least 1")
    if options.patch_size < 8:
        raise CLIError("--patch-size must be at least 8")
    for option, value, bound in (
        ("--depth", options.depth, MAX_DEPTH),
        ("--filters", options.filters, MAX_FILTERS),
        ("--patch-size", options.patch_size, MAX_PATCH),
    ):
        if value is not None and value > bound:
            raise CLIError(f"{option} must be at most {bound}, got {value}")
    check_not_empty_path(options.output)
    check_data_options(
        data_spec, options.data, options.image_size, options.max_train_images
    )
    if options.self_supervised is not None or options.reference is not None:
        from keras_denoise.cli import self_supervised

        return self_supervised.train(options, data_spec, DEFAULT_NOISE)
    if options.model in LABELLED_MODELS and not (
        data_spec[0] == "bundled" and data_spec[1] in LABELLED_DATA
    ):
        raise CLIError(
            f"--model {options.model} needs labelled data: use --data "
            f"{', '.join(LABELLED_DATA)} (got --data {options.data})"
        )
    if not workers.current().is_chief:
        # The chief of the job checks, locks and writes the output.
        return _train_locked(options, data_spec, mixture)
    with output_lock(options.output):
        check_output_dir(
            options.output, data_inputs(data_spec), options.overwrite
        )
        return _train_locked(options, data_spec, mixture)


def _train_locked(options, data_spec, mixture):
    from keras_denoise.cli import building
    from keras_denoise.cli import scoring

    started = time.time()
    keras = import_keras()
    keras.utils.set_random_seed(options.seed)
    if options.model == "backbone_autoencoder":
        building.backbone_factory(options.backbone)
    say(f"Loading data: {options.data}")
    data = load_data(data_spec, options.data_options())
    corruption = specs.build_training_corruption(mixture, seed=options.seed)
    # One worker of several (`--cluster`): the model lives in the job's
    # scope, and only the chief writes outputs.
    worker = workers.current()
    scope = worker.scope()
    scope.__enter__()
    if options.init is not None:
        model = building.pretrained_model(options.init, data)
    else:
        model = building.build_model(
            options.model,
            data,
            corruption,
            patch_size=options.patch_size,
            depth=options.depth,
            filters=options.filters,
            backbone=options.backbone,
            seed=options.seed,
        )
    model_path = os.path.join(options.output, "model.keras")
    histories = {}
    kept = []
    if options.model == "latent_classifier":
        # First a denoising autoencoder, then a classifier on its frozen
        # encoder; the autoencoder is saved as soon as it is trained.
        say("Stage 1: the conv autoencoder whose encoder is classified")
        histories["autoencoder"] = _fit(model, data, corruption, options)
        if worker.is_chief:
            _save_first(model, "autoencoder.keras", options, kept)
        model = building.latent_classifier(model, data.num_classes)
        say("Stage 2: the classifier on the frozen encoder")
        with _saying_what_was_kept(kept, "training stopped"):
            history = _fit(model, data, corruption, options)
    else:
        history = _fit(model, data, corruption, options)
    scope.__exit__(None, None, None)
    if not worker.is_chief:
        return 0
    train_seconds = time.time() - started
    # Save the model at once, so no later failure loses the training.
    _save_first(model, "model.keras", options, kept)
    model = worker.local_model(model, model_path)
    try:
        with _saying_what_was_kept(kept, "training finished"):
            text, report = _write_outputs(
                model,
                data,
                mixture,
                options,
                history,
                histories,
                train_seconds,
            )
    except Exception as error:  # noqa: BLE001 - say the model is safe
        detail = str(error).strip() or type(error).__name__
        raise CLIError(
            f"{detail} (training finished: the model is saved in "
            f"{model_path}, the other outputs were not written)"
        ) from None
    say(text)
    if report is not None:
        scoring.print_gains(report)
        warning = worse_warning(report, options.model)
        if warning:
            say(warning)
    written = ["model.keras", "metrics.json", "history.png"]
    if "autoencoder" in histories:
        written.insert(0, "autoencoder.keras")
    if report is not None:
        written += ["evaluation.png", "examples_*.png"]
    say(
        f"Wrote {options.output}/{', '.join(written[:-1])} and {written[-1]} "
        f"in {time.time() - started:.0f} s"
    )
    return 0


def _save_first(model, name, options, kept):
    """Saves a trained model into `--output` at once. The first save of
    a run replaces the folder's previous outputs (`--overwrite`), so old
    and new files are never mixed; a failed first save removes the folder
    it created."""
    with created_dir_removed_on_failure(options.output):
        if not kept and options.overwrite:
            clear_previous(options.output)
        with _saying_what_was_kept(kept, "training stopped"):
            save_model_atomic(model, os.path.join(options.output, name))
    kept.append(os.path.join(options.output, name))


@contextlib.contextmanager
def _saying_what_was_kept(kept, when):
    """Adds to an interruption's one line the models already saved."""
    try:
        yield
    except KeyboardInterrupt as interrupt:
        if kept:
            interrupt.note = (
                f" ({when}: kept {' and '.join(kept)}; the other outputs "
                "were not written)"
            )
        raise


def worse_warning(report, model_name):
    """One line when the model's output is further from the clean image
    than its input (a negative PSNR gain), else `None`."""
    worse = [
        name
        for name in report
        if name != "clean" and (report.psnr_gain(name) or 0.0) < 0.0
    ]
    if not worse:
        return None
    if model_name == "variational_autoencoder":
        advice = (
            "a VAE reconstructs and samples, it does not denoise well; "
            "to denoise, train residual_denoiser or conv_autoencoder"
        )
    else:
        advice = (
            "train longer (--epochs), on more patches "
            "(--patches-per-image) or at another --learning-rate"
        )
    return (
        f"Warning: the model makes its inputs worse (negative PSNR gain) "
        f"on {', '.join(worse)}: {advice}"
    )


def _fit(model, data, corruption, options):
    from keras_denoise.cli import building

    dataset = building.train_dataset(
        data,
        corruption,
        model,
        batch_size=options.batch_size,
        seed=options.seed,
    )
    steps = data.steps or building.steps_per_epoch(dataset)
    building.compile_model(
        model,
        options.epochs * steps,
        learning_rate=(
            options.learning_rate
            if options.learning_rate is not None
            else building.FINE_TUNE_LEARNING_RATE
            if options.init is not None
            else None
        ),
    )
    say(
        f"Training {model.name} ({model.count_params()} parameters) on "
        f"{_training_set(data, options)}, {steps} steps of "
        f"{options.batch_size} per epoch, for {options.epochs} epoch(s)"
    )
    verbose = options.verbose
    if verbose is None:
        # A progress bar redraws its line with backspaces and escape
        # sequences: fine on a terminal, noise in a log file.
        verbose = 1 if on_terminal() else 2
    return model.fit(
        dataset,
        epochs=options.epochs,
        verbose=verbose,
        shuffle=False,
        steps_per_epoch=data.steps,
    )


def _training_set(data, options):
    """What `_fit` trains on, in words, for its log line."""
    noise = (
        "with no noise"
        if options.noise.strip() == "clean"
        else f"against noise {options.noise!r}"
    )
    if data.stream_kind == "pairs":
        return (
            f"{data.train_count} noisy/clean pairs ({data.crops_per_image} "
            "random crops of each per epoch, no added noise)"
        )
    if data.stream is not None:
        return (
            f"{data.train_count} images ({data.crops_per_image} random "
            f"crops of each per epoch) {noise}"
        )
    passes = f", each seen {data.passes} times" if data.passes > 1 else ""
    return f"{len(data.train)} images{passes} {noise}"


def _write_outputs(
    model, data, mixture, options, history, histories, train_seconds
):
    """Held-out evaluation, history plot and metrics.json, all or none."""
    from keras_denoise.cli import scoring
    from keras_denoise.visualization import corruption_chart
    from keras_denoise.visualization import history_plot

    def curves(fit_history):
        return {
            k: [float(v) for v in vs] for k, vs in fit_history.history.items()
        }

    with Outputs(options.output, replace=False) as outputs:
        say("Evaluating on held-out images ...")
        summary, text, report = scoring.evaluate_model(
            model,
            data,
            mixture,
            seed=options.seed,
            batch_size=options.batch_size,
            examples_dir=outputs.stage,
        )
        history_plot(history, outputs.path("history.png"))
        if report is not None:
            corruption_chart(report, outputs.path("evaluation.png"))
        summary.update(
            {
                "model": options.model,
                "data": options.data,
                "noise": options.noise,
                "epochs": options.epochs,
                "train_seconds": round(train_seconds, 1),
                "history": curves(history),
            }
        )
        for name, fit_history in histories.items():
            summary[f"{name}_history"] = curves(fit_history)
        write_json(outputs.path("metrics.json"), summary)
    return text, report
