"""Turning parsed arguments into a command's frozen options."""

import dataclasses


def from_namespace(options_class, args):
    """The `options_class` dataclass filled from an argparse namespace:
    every field from the same-named argument, nothing else."""
    names = [field.name for field in dataclasses.fields(options_class)]
    return options_class(**{name: getattr(args, name) for name in names})
