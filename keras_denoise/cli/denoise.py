"""`keras-denoise denoise`: restore image files with a trained model."""

import os

from keras_denoise.cli._runtime import CLIError
from keras_denoise.cli._runtime import fixed_size
from keras_denoise.cli._runtime import import_keras
from keras_denoise.cli._runtime import load_model
from keras_denoise.cli._runtime import model_kind
from keras_denoise.cli._runtime import say
from keras_denoise.cli.outputs import Outputs
from keras_denoise.cli.outputs import check_output_dir
from keras_denoise.cli.restore import denoise_array


def run(args):
    """Runs `denoise` with the parsed arguments; returns the exit status."""
    return denoise(
        args.inputs, args.model, args.output, batch_size=args.batch_size
    )


def collect_inputs(inputs):
    """The image files named by `inputs` (files and directories), checked:
    each exists, is an image, and has an output name of its own."""
    from keras_denoise.datasets import IMAGE_EXTENSIONS
    from keras_denoise.datasets import list_image_files
    from keras_denoise.datasets import read_image_info

    files = []
    for item in inputs:
        if os.path.isdir(item):
            try:
                files.extend(list_image_files(item))
            except ValueError as error:
                raise CLIError(str(error)) from None
        elif os.path.isfile(item):
            if not item.lower().endswith(IMAGE_EXTENSIONS):
                raise CLIError(
                    f"not an image file (expected "
                    f"{', '.join(IMAGE_EXTENSIONS)}): {item}"
                )
            files.append(item)
        else:
            raise CLIError(f"input not found: {item}")
    seen = {}
    for path in files:
        name = os.path.basename(path)
        if name in seen:
            raise CLIError(
                f"two inputs share the output name {name}: {seen[name]} "
                f"and {path}"
            )
        seen[name] = path
        read_image_info(path)  # raises ValueError for a non-image
    return files


# A fixed-size model this many times smaller than an image (on a side)
# restores it from tiles that each see only a small part of it.
SMALL_MODEL_RATIO = 4


def small_model_warning(model_size, image_size):
    """One line when a fixed-size model (`(height, width)`, `None` for a
    fully convolutional one) is much smaller than the largest image
    `(height, width)`, else `None`."""
    if model_size is None:
        return None
    ratio = max(image_size[0] / model_size[0], image_size[1] / model_size[1])
    if ratio < SMALL_MODEL_RATIO:
        return None
    return (
        f"Warning: the model takes {model_size[0]}x{model_size[1]} inputs, "
        f"much smaller than the images (up to {image_size[0]}x"
        f"{image_size[1]}): it restores them from overlapping tiles that "
        "each see little of the image; a fully convolutional model "
        "(residual_denoiser) takes them whole"
    )


def denoise(inputs, model_path, output, batch_size=4):
    """Denoises the files `inputs` into the directory `output`."""
    files = collect_inputs(inputs)
    target = os.path.abspath(output)
    for path in files:
        if os.path.dirname(os.path.abspath(path)) == target:
            raise CLIError(
                f"--output {output} holds the input {path}: choose "
                "another directory so inputs are not overwritten"
            )
    model = load_model(model_path)
    if model_kind(model, model_path) == "classifier":
        raise CLIError(
            f"{model_path} is a classifier (output shape "
            f"{tuple(model.outputs[0].shape)}): `denoise` needs a model that "
            "outputs images, or a dual model with a 'denoised' output"
        )
    check_output_dir(output)
    keras = import_keras()
    from keras_denoise.datasets import read_image
    from keras_denoise.datasets import write_image

    # Decode every input once before any work: a truncated or corrupt
    # file fails here, not after hundreds of images were denoised.
    largest = (0, 0)
    for path in files:
        image, _ = read_image(path)
        largest = max(largest, image.shape[:2], key=lambda s: s[0] * s[1])
    warning = small_model_warning(fixed_size(model), largest)
    if warning:
        say(warning)
    progress = keras.utils.Progbar(len(files), unit_name="image")
    with Outputs(output) as outputs:
        for path in files:
            image, bit_depth = read_image(path)
            restored = denoise_array(model, image, batch_size=batch_size)
            write_image(
                outputs.path(os.path.basename(path)), restored, bit_depth
            )
            progress.add(1)
    say(f"Wrote {len(files)} denoised image(s) to {output}")
    return 0
