"""Held-out figures of a trained model: denoising per corruption (with
the TV baseline) and accuracy per corruption, as `train` and `evaluate`
report them."""

from keras_denoise.cli import specs
from keras_denoise.cli._runtime import Progress
from keras_denoise.cli._runtime import fixed_size
from keras_denoise.cli._runtime import model_kind
from keras_denoise.cli._runtime import say

# `evaluate`'s rows without `--noise`, named by their settings in the
# `--noise` grammar: one corruption of each kind, then a chain.
DEFAULT_EVALUATION = "gaussian:25,saltpepper:0.05,blur:1,gaussian:10+blur:1"


def evaluation_set(mixture, seed):
    """Named corruptions to evaluate: those of `mixture` at fixed
    severities, or the library's default set for `None`."""
    if mixture is None:
        mixture = specs.parse_noise(DEFAULT_EVALUATION)
    return specs.evaluation_corruptions(mixture, seed=seed)


def _baselines():
    """The classical blind TV baseline, when scikit-image is installed."""
    try:
        import skimage.restoration  # noqa: F401
    except ImportError:
        return {}
    from keras_denoise.evaluation import denoise_tv

    return {"tv": denoise_tv}


def evaluate_denoising(
    model, data, mixture, *, seed, batch_size, examples_dir, verbosity=None
):
    """The `CorruptionReport` of `model` on the held-out images."""
    from keras_denoise.cli.restore import denoise_batch
    from keras_denoise.evaluation import evaluate_corruptions

    size = fixed_size(model)
    clean, noisy = data.held_out(size)
    corruptions = {"clean": None}
    if noisy is None:
        corruptions = evaluation_set(mixture, seed)
    predict_fn = None
    if data.test_files is not None and size is None:
        # Full-size files: restore them as `denoise` does, in tiles,
        # one corruption of each file after the other.
        rows = len(corruptions) + (noisy is not None)
        progress = Progress(len(data.test_files) * rows, verbosity)

        def predict_fn(batch):
            restored = denoise_batch(model, batch)
            progress.add(f"{len(batch)} image(s)", len(batch))
            return restored

    return evaluate_corruptions(
        None if predict_fn is not None else model,
        clean,
        corruptions,
        batch_size=batch_size,
        baselines=_baselines(),
        examples_dir=examples_dir,
        noisy=noisy,
        predict_fn=predict_fn,
    )


def evaluate_model(
    model, data, mixture, *, seed, batch_size, examples_dir, verbosity=None
):
    """Held-out figures: denoising ones for image outputs, accuracy per
    corruption for class outputs (with labelled data).

    The accuracy's corruptions are made afresh with the seeds of the
    denoising figures and applied to the same batches, so a dual model's
    accuracy and denoising figures see the same noisy images.

    Returns:
        `(summary, text, report)`: the dict for metrics.json, the table to
        print and the `CorruptionReport` (`None` for a classifier).
    """
    kind = model_kind(model)
    report = None
    if kind == "classifier":
        summary, text = {"corruptions": {}}, ""
    else:
        report = evaluate_denoising(
            model,
            data,
            mixture,
            seed=seed,
            batch_size=batch_size,
            examples_dir=examples_dir,
            verbosity=verbosity,
        )
        summary, text = report.to_dict(), str(report)
    if kind != "denoiser" and data.test_labels is not None:
        from keras_denoise.evaluation import accuracy_per_corruption

        clean, _ = data.held_out(fixed_size(model))
        accuracy = accuracy_per_corruption(
            model,
            clean,
            data.test_labels,
            evaluation_set(mixture, seed),
            batch_size=batch_size,
        )
        count = len(clean)
        summary.setdefault("num_images", count)
        for name, value in accuracy.items():
            summary["corruptions"].setdefault(name, {})["accuracy"] = value
        width = max(len("corruption"), *(len(n) for n in accuracy))
        lines = [f"{'corruption'.ljust(width)}  accuracy"]
        lines += [f"{n.ljust(width)}  {v:8.4f}" for n, v in accuracy.items()]
        lines.append(f"({count} images; fraction of correct labels)")
        text = "\n".join(filter(None, [text, "\n".join(lines)]))
    return summary, text, report


def print_gains(report):
    """One line per corruption: the model's PSNR gain, and TV's."""
    for name in report:
        if name == "clean":
            continue
        gain = report.psnr_gain(name)
        if gain is None:
            continue
        row = report[name]
        line = (
            f"{name}: PSNR {row['input']['psnr']:.2f} -> "
            f"{row['output']['psnr']:.2f} dB ({gain:+.2f} dB)"
        )
        tv = row.get("baselines", {}).get("tv")
        if tv and tv["psnr"] is not None:
            diff = row["output"]["psnr"] - tv["psnr"]
            line += (
                f"; TV (scikit-image) {tv['psnr']:.2f} dB (model {diff:+.2f})"
            )
        say(line)
