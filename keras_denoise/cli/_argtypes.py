"""argparse `type=` converters shared by the command modules: each turns
the text of an option into a number or reports a one-line usage error."""

import argparse


def int_at_least(minimum):
    """A converter to an integer >= `minimum`."""

    def convert(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer, got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"must be at least {minimum}, got {value}"
            )
        return value

    return convert


positive_int = int_at_least(1)


def positive_float(text):
    """A converter to a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number, got {text!r}"
        ) from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value
