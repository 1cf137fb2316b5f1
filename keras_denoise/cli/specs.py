"""Parsing of the command line's `--noise` and `--data` specifications.

Everything here is pure Python and runs before any heavy import, so a bad
specification fails in milliseconds, before any training.

Noise grammar (severities of `gaussian` on the 0-255 scale, `blur` in
pixels, the others as the layers take them):

    SPEC   := MIX ("," MIX)*          one of the MIX items per image
    MIX    := TERM ("+" TERM)*        corruptions applied in order
    TERM   := KIND ":" VALUE | KIND ":" LOW "-" HIGH | "clean"
    KIND   := gaussian | speckle | saltpepper | poisson | blur

`clean` is an image left as it is: `--noise clean` trains a plain
autoencoder, `gaussian:0-50,clean` leaves half the images clean.
"""

import os

NOISE_KINDS = {
    # kind: (layer class name, argument, scale to the layer's units, bounds)
    "gaussian": ("AdditiveGaussianNoise", "stddev", 1 / 255, (0.0, 255.0)),
    "speckle": ("SpeckleNoise", "stddev", 1.0, (0.0, 10.0)),
    "saltpepper": ("SaltAndPepperNoise", "rate", 1.0, (0.0, 1.0)),
    "poisson": ("PoissonNoise", "peak", 1.0, (1e-6, 1e9)),
    "blur": ("GaussianBlur", "sigma", 1.0, (0.0, 50.0)),
}
# The kind that leaves an image as it is.
CLEAN = "clean"
BUNDLED_DATA = ("natural", "natural-rgb", "digits", "faces", "mnist", "fashion")


class SpecError(ValueError):
    """A malformed `--noise` or `--data` specification."""


def _number(text, spec):
    try:
        value = float(text)
    except ValueError:
        raise SpecError(
            f"bad number {text!r} in noise spec {spec!r}; expected e.g. "
            "'gaussian:25', 'gaussian:0-50', 'saltpepper:0.05', 'blur:1.5', "
            "'poisson:30'"
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SpecError(f"bad number {text!r} in noise spec {spec!r}")
    return value


def _term(text, spec):
    kind, sep, value = text.strip().partition(":")
    kind = kind.strip().lower().replace("-", "").replace("_", "")
    if kind == "saltandpepper":
        kind = "saltpepper"
    if kind == CLEAN:
        if sep:
            raise SpecError(
                f"'clean' takes no severity; got {text.strip()!r} in noise "
                f"spec {spec!r}"
            )
        return (CLEAN, 0.0, 0.0)
    if kind not in NOISE_KINDS:
        raise SpecError(
            f"unknown noise kind {text.strip()!r} in noise spec {spec!r}; "
            f"choose from {', '.join(NOISE_KINDS)}, {CLEAN}"
        )
    if not sep or not value.strip():
        raise SpecError(
            f"noise {kind!r} needs a severity, e.g. '{kind}:"
            f"{'0-50' if kind == 'gaussian' else '1'}' (in {spec!r})"
        )
    value = value.strip()
    # A range "a-b"; a leading "-" would be a negative number, and a "-"
    # after an exponent's "e" (1e-3) belongs to the number.
    dash = next(
        (
            i
            for i in range(1, len(value))
            if value[i] == "-" and value[i - 1] not in "eE"
        ),
        None,
    )
    if dash is not None:
        low = _number(value[:dash], spec)
        high = _number(value[dash + 1 :], spec)
    else:
        low = high = _number(value, spec)
    lo_bound, hi_bound = NOISE_KINDS[kind][3]
    if low > high:
        raise SpecError(
            f"range {value!r} of {kind!r} has min > max in noise spec {spec!r}"
        )
    if low < lo_bound or high > hi_bound:
        raise SpecError(
            f"{kind} severity must be in [{lo_bound:g}, {hi_bound:g}]; "
            f"received {value!r} in noise spec {spec!r}"
        )
    return (kind, low, high)


def parse_noise(spec):
    """Parses a `--noise` specification.

    Returns:
        A list of mixture items; each item is a list of `(kind, low,
        high)` terms applied in order.

    Raises:
        SpecError: for an unknown kind, a bad number or an out-of-range
            severity.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise SpecError(f"empty noise spec {spec!r}")
    mixture = []
    for item in spec.split(","):
        terms = [_term(term, spec) for term in item.split("+")]
        # In a chain, 'clean' changes nothing; alone it is the clean item.
        corrupting = [t for t in terms if t[0] != CLEAN]
        mixture.append(corrupting or [(CLEAN, 0.0, 0.0)])
    return mixture


def is_clean(terms):
    """Whether a mixture item leaves images as they are."""
    return terms == [(CLEAN, 0.0, 0.0)]


def term_name(term):
    kind, low, high = term
    if kind == CLEAN:
        return CLEAN
    if low == high:
        return f"{kind}:{low:g}"
    return f"{kind}:{low:g}-{high:g}"


def _layer(term, seed, fixed=None):
    from keras_denoise import layers

    kind, low, high = term
    class_name, argument, scale, _ = NOISE_KINDS[kind]
    if fixed is not None:
        severity = fixed * scale
    elif low == high:
        severity = low * scale
    else:
        severity = (low * scale, high * scale)
    return getattr(layers, class_name)(**{argument: severity}, seed=seed)


def _chain(terms, seed, fixed=None):
    import keras

    items = [_layer(t, seed + i, fixed) for i, t in enumerate(terms)]
    if len(items) == 1:
        return items[0]
    return keras.Sequential(items)


def build_training_corruption(mixture, seed=0):
    """A corruption layer, a chain (`keras.Sequential`) or, for a `,`
    mixture, a `RandomCorruption` choosing one item per image (clean items
    become its `clean_probability`); `None` for `--noise clean`."""
    from keras_denoise import layers

    chains = [
        _chain(terms, seed + 10 * i)
        for i, terms in enumerate(mixture)
        if not is_clean(terms)
    ]
    if not chains:
        return None
    clean_items = len(mixture) - len(chains)
    if not clean_items and len(chains) == 1:
        return chains[0]
    return layers.RandomCorruption(
        chains, clean_probability=clean_items / len(mixture), seed=seed
    )


EVALUATION_FRACTIONS = (0.3, 0.5, 1.0)


def evaluation_corruptions(mixture, seed=0):
    """Named fixed-severity corruptions to evaluate a model trained on
    `mixture`, plus `clean`.

    A term with a range is evaluated at 30 %, 50 % and 100 % of its
    range (`gaussian:0-50` gives sigma 15, 25 and 50).
    """
    corruptions = {}
    for i, terms in enumerate(mixture):
        if is_clean(terms):
            continue  # evaluated below
        ranged = [t for t in terms if t[1] != t[2]]
        if len(terms) == 1 and ranged:
            kind, low, high = terms[0]
            for fraction in EVALUATION_FRACTIONS:
                level = low + (high - low) * fraction
                name = f"{kind}:{level:g}"
                corruptions[name] = _chain(terms, seed + 10 * i, level)
        else:
            name = "+".join(
                term_name((k, (lo + hi) / 2, (lo + hi) / 2))
                for k, lo, hi in terms
            )
            fixed = [(k, (lo + hi) / 2, (lo + hi) / 2) for k, lo, hi in terms]
            corruptions[name] = _chain(fixed, seed + 10 * i)
    corruptions["clean"] = None
    return corruptions


def parse_data(spec):
    """Parses a `--data` specification.

    Returns:
        `("bundled", name)`, `("directory", path)` or
        `("pairs", noisy_dir, clean_dir)`.

    Raises:
        SpecError: for an unknown name or a missing directory.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise SpecError(f"empty data spec {spec!r}")
    if spec in BUNDLED_DATA:
        return ("bundled", spec)
    if os.path.isdir(spec):
        return ("directory", spec)
    noisy, sep, clean = spec.rpartition(":")
    if sep and noisy and clean:
        missing = [d for d in (noisy, clean) if not os.path.isdir(d)]
        if missing:
            raise SpecError(
                f"data directory not found: {missing[0]} "
                f"(in data spec {spec!r})"
            )
        return ("pairs", noisy, clean)
    if os.path.exists(spec):
        raise SpecError(f"data spec {spec!r} is a file, not a directory")
    raise SpecError(
        f"unknown data {spec!r}: use one of {', '.join(BUNDLED_DATA)}, a "
        "directory of images, or NOISY_DIR:CLEAN_DIR"
    )
