"""`keras-denoise train`: train a model, write it and its figures."""

import dataclasses
import os
import time

from keras_denoise.cli import specs
from keras_denoise.cli._options import from_namespace
from keras_denoise.cli._runtime import CLIError
from keras_denoise.cli._runtime import import_keras
from keras_denoise.cli._runtime import save_model_atomic
from keras_denoise.cli._runtime import say
from keras_denoise.cli.building import LABELLED_MODELS
from keras_denoise.cli.data import LABELLED_DATA
from keras_denoise.cli.data import DataOptions
from keras_denoise.cli.data import check_data_options
from keras_denoise.cli.data import load_data
from keras_denoise.cli.outputs import Outputs
from keras_denoise.cli.outputs import check_output_dir
from keras_denoise.cli.outputs import make_output_dir
from keras_denoise.cli.outputs import write_json

DEFAULT_NOISE = "gaussian:0-50"
DEFAULT_PATCH = 40
# Held-out files of a directory evaluated after training, at full size.
DEFAULT_MAX_EVAL_FILES = 16


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
    verbose: int
    seed: int

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
    return train(from_namespace(TrainOptions, args))


def train(options):
    """Trains, saves and evaluates a model; returns the exit status."""
    from keras_denoise.cli import building
    from keras_denoise.cli import scoring

    # Validate everything first, creating nothing: the specs, the output
    # path, then the data (pairs are matched, headers read) and the model.
    data_spec = specs.parse_data(options.data)
    mixture = specs.parse_noise(options.noise)
    if options.epochs < 1 or options.batch_size < 1:
        raise CLIError("--epochs and --batch-size must be at least 1")
    if options.patch_size < 8:
        raise CLIError("--patch-size must be at least 8")
    check_data_options(
        data_spec, options.data, options.image_size, options.max_train_images
    )
    if options.model in LABELLED_MODELS and not (
        data_spec[0] == "bundled" and data_spec[1] in LABELLED_DATA
    ):
        raise CLIError(
            f"--model {options.model} needs labelled data: use --data "
            f"{', '.join(LABELLED_DATA)} (got --data {options.data})"
        )
    check_output_dir(options.output)
    started = time.time()
    keras = import_keras()
    keras.utils.set_random_seed(options.seed)
    if options.model == "backbone_autoencoder":
        building.backbone_factory(options.backbone)
    say(f"Loading data: {options.data}")
    data = load_data(data_spec, options.data_options())
    corruption = specs.build_training_corruption(mixture, seed=options.seed)
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
    if options.model == "latent_classifier":
        # First a denoising autoencoder, then a classifier on its frozen
        # encoder; the autoencoder is saved as soon as it is trained.
        say("Stage 1: the conv autoencoder whose encoder is classified")
        histories["autoencoder"] = _fit(model, data, corruption, options)
        make_output_dir(options.output)
        save_model_atomic(
            model, os.path.join(options.output, "autoencoder.keras")
        )
        model = building.latent_classifier(model, data.num_classes)
        say("Stage 2: the classifier on the frozen encoder")
    history = _fit(model, data, corruption, options)
    train_seconds = time.time() - started
    # Save the model at once, so no later failure loses the training.
    make_output_dir(options.output)
    save_model_atomic(model, model_path)
    try:
        text, report = _write_outputs(
            model, data, mixture, options, history, histories, train_seconds
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
        written.append("examples_*.png")
    say(
        f"Wrote {options.output}/{', '.join(written[:-1])} and {written[-1]} "
        f"in {time.time() - started:.0f} s"
    )
    return 0


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
        model, options.epochs * steps, learning_rate=options.learning_rate
    )
    say(
        f"Training {model.name} ({model.count_params()} parameters) on "
        f"{_training_set(data, options)}, {steps} steps of "
        f"{options.batch_size} per epoch, for {options.epochs} epoch(s)"
    )
    return model.fit(
        dataset,
        epochs=options.epochs,
        verbose=options.verbose,
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
    from keras_denoise.visualization import history_plot

    def curves(fit_history):
        return {
            k: [float(v) for v in vs] for k, vs in fit_history.history.items()
        }

    with Outputs(options.output) as outputs:
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
