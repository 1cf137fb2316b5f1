"""`keras-denoise denoise`: restore image files with a trained model."""

import os

from keras_denoise.cli._runtime import CLIError
from keras_denoise.cli._runtime import Progress
from keras_denoise.cli._runtime import check_image_to_image
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
        args.inputs,
        args.model,
        args.output,
        batch_size=args.batch_size,
        overwrite=args.overwrite,
        verbosity=args.verbosity,
        noise_level=args.noise_level,
        max_pixels=int(args.max_megapixels * 1e6),
        self_ensemble=args.self_ensemble,
    )


# Images up to this size are read (Pillow's decompression-bomb limit is
# about 89 megapixels, below large panoramas and scans); memory is the
# bound, about 20 bytes a pixel while a large image is restored in tiles.
MAX_MEGAPIXELS = 256.0


def _shipped(name):
    from keras_denoise import models

    return models.pretrained(name)


def _with_noise_level(model, model_path, noise_level):
    """`model` as a one-input model: with a noise-level input (FFDNet
    style), the map is filled with `noise_level` (0-255 scale)."""
    inputs = getattr(model, "inputs", None) or []
    takes_level = len(inputs) == 2
    if noise_level is None:
        if takes_level:
            raise CLIError(
                f"{model_path} takes a noise-level map: give --noise-level "
                "SIGMA (0-255 scale)"
            )
        return model
    if not takes_level:
        raise CLIError(
            f"--noise-level {noise_level:g}: {model_path} takes no noise "
            "level (a blind model estimates the noise itself)"
        )
    from keras_denoise import inference

    return inference.with_noise_level(model, noise_level / 255.0)


def _checked(model, model_path, noise_level):
    """The model as `denoise` runs it, checked for the task."""
    model = _with_noise_level(model, model_path, noise_level)
    if model_kind(model, model_path) == "classifier":
        raise CLIError(
            f"{model_path} is a classifier (output shape "
            f"{tuple(model.outputs[0].shape)}): `denoise` needs a model that "
            "outputs images, or a dual model with a 'denoised' output"
        )
    check_image_to_image(model, model_path)
    return model


def _any_colour(files, max_pixels):
    from keras_denoise.datasets import read_image_info

    return any(
        read_image_info(path, max_pixels).channels >= 3 for path in files
    )


def _pick(by_channels, image):
    """The shipped model for an image: colour for RGB(A), else gray."""
    colour = image.shape[-1] >= 3
    if colour and 3 in by_channels:
        return by_channels[3]
    return by_channels.get(1, next(iter(by_channels.values())))


def collect_inputs(inputs, max_pixels=None):
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
        read_image_info(path, max_pixels)  # ValueError for a non-image
    return files


# A fixed-size model this many times smaller than an image (on a side)
# restores it from tiles that each see only a small part of it.
SMALL_MODEL_RATIO = 4


# Small images of one size are denoised together, up to this many pixels
# a batch: one call of the model for many files instead of one per file.
GROUP_PIXELS = 1 << 20
GROUP_FILES = 256


def _groups(files, read_image, max_pixels):
    """`[(path, image, bit_depth), ...]` runs of consecutive files of one
    shape, each of at most `GROUP_FILES` files and `GROUP_PIXELS` pixels;
    a larger image is a group of its own. Read one group at a time."""
    group, pixels = [], 0
    for path in files:
        image, bit_depth = read_image(path, max_pixels)
        size = image.shape[0] * image.shape[1]
        if group and (
            image.shape != group[0][1].shape
            or pixels + size > GROUP_PIXELS
            or len(group) == GROUP_FILES
        ):
            yield group
            group, pixels = [], 0
        group.append((path, image, bit_depth))
        pixels += size
    if group:
        yield group


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


def denoise(
    inputs,
    model_path,
    output,
    batch_size=4,
    overwrite=False,
    verbosity=None,
    noise_level=None,
    max_pixels=int(MAX_MEGAPIXELS * 1e6),
    self_ensemble=False,
):
    """Denoises the files `inputs` into the directory `output`.

    `model_path`: a `.keras` file, the name of a shipped model, or `None`
    for the shipped model matching each image's channels.
    `verbosity`: `None` for a progress bar on a terminal (nothing when
    piped), `0` for no output but errors, `2` for one line per file.
    `self_ensemble`: average the eight flips and rotations of each image.
    """
    from keras_denoise.cli.building import PRETRAINED
    from keras_denoise.cli.outputs import check_empty_dir
    from keras_denoise.cli.outputs import check_no_overlap
    from keras_denoise.cli.outputs import check_not_empty_path
    from keras_denoise.cli.outputs import output_lock

    if noise_level is not None and not 0.0 <= noise_level <= 255.0:
        raise CLIError(
            f"--noise-level must be in [0, 255] (0-255 scale), got "
            f"{noise_level:g}"
        )
    check_not_empty_path(output)
    files = collect_inputs(inputs, max_pixels)
    # Resolved paths: an output reached through a link to an input folder
    # (or the reverse) is that folder.
    check_no_overlap(
        output,
        [("input", item) for item in inputs]
        + [("input", path) for path in files]
        + ([] if model_path is None else [("--model", model_path)]),
    )
    shipped = model_path is None or (
        model_path in PRETRAINED and not os.path.exists(model_path)
    )
    if shipped:
        if noise_level is not None:
            raise CLIError(
                f"--noise-level {noise_level:g}: the shipped models take no "
                "noise level (they are blind and estimate the noise "
                "themselves)"
            )
        import_keras()
        names = [model_path] if model_path else ["gaussian_gray"]
        if model_path is None and _any_colour(files, max_pixels):
            names.append("gaussian_color")
        loaded = {name: _shipped(name) for name in names}
        by_channels = {
            loaded[name].inputs[0].shape[-1]: loaded[name] for name in loaded
        }
    else:
        model = _checked(load_model(model_path), model_path, noise_level)
        by_channels = None
    check_output_dir(output, check_empty=False)
    import_keras()
    import numpy as np

    from keras_denoise.datasets import read_image
    from keras_denoise.datasets import write_image

    with output_lock(output):
        # Decode every input once before any work: a truncated or corrupt
        # file fails here, not after hundreds of images were denoised.
        largest = (0, 0)
        for path in files:
            image, _ = read_image(path, max_pixels)
            largest = max(largest, image.shape[:2], key=lambda s: s[0] * s[1])
            del image
        if by_channels is None:
            warning = small_model_warning(fixed_size(model), largest)
            if warning:
                say(warning)
        check_empty_dir(output, overwrite)
        progress = Progress(len(files), verbosity, unit="image")
        with Outputs(output, replace=overwrite) as outputs:
            for group in _groups(files, read_image, max_pixels):
                if len(group) == 1:
                    images = group[0][1][None]  # a view, no copy
                else:
                    images = np.stack([image for _, image, _ in group])
                name = group[-1][0]
                if by_channels is not None:
                    model = _pick(by_channels, images[0])
                # A large image alone shows its progress over its tiles.
                restored = denoise_array(
                    model,
                    images,
                    batch_size=max(batch_size, len(group)),
                    self_ensemble=self_ensemble,
                    progress=None
                    if len(group) > 1
                    else lambda fraction, name=name: progress.part(
                        name, fraction
                    ),
                )
                for (path, _, bit_depth), image in zip(
                    group, restored, strict=True
                ):
                    write_image(
                        outputs.path(os.path.basename(path)), image, bit_depth
                    )
                    progress.add(path)
    if verbosity != 0:
        say(f"Wrote {len(files)} denoised image(s) to {output}")
    return 0
