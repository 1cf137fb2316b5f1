"""Output directories of the command line: checked first, written all at
once or not at all."""

import os

from keras_denoise.cli._runtime import CLIError


def check_output_dir(path):
    """Checks that `--output DIR` can be created and written, creating
    nothing: the directory is made only once the run has validated its
    inputs (see `Outputs`)."""
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise CLIError(f"--output exists and is not a directory: {path}")
        if not os.access(path, os.W_OK | os.X_OK):
            raise CLIError(f"output directory is not writable: {path}")
        return
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise CLIError(
            f"cannot create output directory {path}: {parent} is not a "
            "directory"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CLIError(
            f"cannot create output directory {path}: {parent} is not writable"
        )


def make_output_dir(path):
    """Creates `--output DIR`; returns whether this call created it."""
    if os.path.isdir(path):
        return False
    try:
        os.makedirs(path)
    except OSError as error:
        raise CLIError(
            f"cannot create output directory {path}: {error.strerror}"
        ) from None
    return True


def write_json(path, summary):
    """Writes `summary` as indented JSON, atomically."""
    import json

    from keras_denoise._files import write_bytes_atomic

    write_bytes_atomic(
        path, (json.dumps(summary, indent=2, allow_nan=False) + "\n").encode()
    )


class Outputs:
    """The output files of one run, all or nothing.

    Files are written into a hidden staging folder inside `DIR` and moved
    into `DIR` (one rename each) only when the whole block succeeds. On a
    failure the staging folder is removed, and `DIR` too when the run
    created it and it is empty, so a failed run adds nothing.
    """

    def __init__(self, directory):
        self.directory = directory
        self.created = False
        self.stage = None

    def __enter__(self):
        import tempfile

        self.created = make_output_dir(self.directory)
        self.stage = tempfile.mkdtemp(
            prefix=".keras-denoise-", dir=self.directory
        )
        return self

    def path(self, name):
        """Where to write the output file `name` during the run."""
        return os.path.join(self.stage, name)

    def __exit__(self, exc_type, exc, traceback):
        import shutil

        if exc_type is None:
            for name in sorted(os.listdir(self.stage)):
                os.replace(
                    os.path.join(self.stage, name),
                    os.path.join(self.directory, name),
                )
            os.rmdir(self.stage)
            return False
        shutil.rmtree(self.stage, ignore_errors=True)
        if self.created:
            try:
                os.rmdir(self.directory)
            except OSError:
                pass
        return False
