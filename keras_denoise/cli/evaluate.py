"""`keras-denoise evaluate`: a model's figures per corruption."""

import dataclasses

from keras_denoise.cli import specs
from keras_denoise.cli._options import from_namespace
from keras_denoise.cli._runtime import CLIError
from keras_denoise.cli._runtime import check_image_to_image
from keras_denoise.cli._runtime import image_input_shape
from keras_denoise.cli._runtime import load_model
from keras_denoise.cli._runtime import model_kind
from keras_denoise.cli._runtime import say
from keras_denoise.cli.data import LABELLED_DATA
from keras_denoise.cli.data import DataOptions
from keras_denoise.cli.data import check_data_options
from keras_denoise.cli.data import data_inputs
from keras_denoise.cli.data import load_data
from keras_denoise.cli.outputs import Outputs
from keras_denoise.cli.outputs import check_output_dir
from keras_denoise.cli.outputs import output_lock
from keras_denoise.cli.outputs import write_json


@dataclasses.dataclass(frozen=True)
class EvaluateOptions:
    """The options of `keras-denoise evaluate` (see its `--help`)."""

    model: str
    data: str
    noise: str | None
    output: str | None
    batch_size: int
    eval_images: int
    image_size: int | None
    max_eval_images: int | None
    verbosity: int | None
    seed: int
    overwrite: bool = False


def run(args):
    """Runs `evaluate` with the parsed arguments; returns the exit status."""
    return evaluate(from_namespace(EvaluateOptions, args))


def evaluate(options):
    """Prints (and optionally writes) the figures of a saved model."""
    if options.output is None:
        return _evaluate(options)
    with output_lock(options.output):
        return _evaluate(options)


def _evaluate(options):
    from keras_denoise.cli import scoring

    data_spec = specs.parse_data(options.data)
    mixture = specs.parse_noise(options.noise) if options.noise else None
    check_data_options(data_spec, options.data, options.image_size, None)
    if options.output is not None:
        check_output_dir(
            options.output,
            [*data_inputs(data_spec), ("--model", options.model)],
            options.overwrite,
        )
    model = load_model(options.model)
    _, _, channels = image_input_shape(model, options.model)
    kind = model_kind(model, options.model)
    if kind == "classifier" and not (
        data_spec[0] == "bundled" and data_spec[1] in LABELLED_DATA
    ):
        raise CLIError(
            f"{options.model} is a classifier: evaluate it on labelled data, "
            f"--data {', '.join(LABELLED_DATA)} (got --data {options.data})"
        )
    if kind != "classifier":
        check_image_to_image(model, options.model)
    data_options = DataOptions(
        seed=options.seed,
        eval_images=options.eval_images,
        image_size=options.image_size,
        max_eval_images=options.max_eval_images,
    )
    data = load_data(data_spec, data_options, for_training=False)
    if data.channels != channels:
        raise CLIError(
            f"model {options.model} takes {channels}-channel images but "
            f"--data {options.data} has {data.channels} channel(s)"
        )
    if kind == "classifier":
        _check_classes(model, options, data)
    kwargs = {
        "seed": options.seed,
        "batch_size": options.batch_size,
        "verbosity": options.verbosity,
    }
    if options.output is None:
        _, text, _ = scoring.evaluate_model(
            model, data, mixture, examples_dir=None, **kwargs
        )
    else:
        with Outputs(options.output, replace=options.overwrite) as outputs:
            summary, text, report = scoring.evaluate_model(
                model, data, mixture, examples_dir=outputs.stage, **kwargs
            )
            write_json(outputs.path("metrics.json"), summary)
            if report is not None:
                from keras_denoise.visualization import corruption_chart

                corruption_chart(report, outputs.path("evaluation.png"))
    say(text)
    return 0


def _check_classes(model, options, data):
    """A classifier's output must give one probability per class of the
    data: an image-to-vector model (an encoder, a regressor) is not one."""
    width = model.outputs[0].shape[-1]
    if width != data.num_classes:
        raise CLIError(
            f"{options.model} outputs {width} values per image but --data "
            f"{options.data} has {data.num_classes} classes: it is not a "
            "classifier of these data"
        )
