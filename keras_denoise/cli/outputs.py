"""Output paths of the command line: checked first, locked for the run,
written all at once or not at all.

Every check compares resolved paths (`os.path.realpath`), so a symbolic
link to an input folder is that folder. A non-empty output folder is
refused unless `--overwrite` is given, and then its previous content is
replaced as a whole once the new outputs are complete, never mixed with
them.
"""

import contextlib
import os

from keras_denoise.cli._runtime import CLIError

# Hidden names of the run's own staging folders (and of a killed run's).
STAGE_PREFIX = ".keras-denoise-"


def _real(path):
    return os.path.realpath(os.path.abspath(path))


def _inside(path, folder):
    """Whether the resolved `path` is `folder` or lies inside it."""
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives
        return False


def check_not_empty_path(path, option="--output"):
    """Refuses an empty path (`--output ""`) up front."""
    if not isinstance(path, str) or not path.strip():
        raise CLIError(f"{option} must name a path, got {path!r}")


def check_no_overlap(output, inputs, option="--output"):
    """Refuses an output that would overwrite or sit among the inputs.

    Args:
        output: the output folder (or file, for `sample`).
        inputs: `(label, path)` pairs: input folders and files.
        option: the output's option name, for the message.
    """
    target = _real(output)
    for label, path in inputs:
        if path is None:
            continue
        source = _real(path)
        if os.path.isdir(source):
            if _inside(target, source):
                raise CLIError(
                    f"{option} {output} is inside (or is) the input folder "
                    f"{path} ({label}): choose a folder outside the inputs"
                )
            if _inside(source, target):
                raise CLIError(
                    f"the input folder {path} ({label}) is inside {option} "
                    f"{output}: choose an output folder that holds no input"
                )
        elif target == source or _inside(source, target):
            raise CLIError(
                f"{option} {output} holds the input {path} ({label}): "
                "choose another path so inputs are not overwritten"
            )


def _previous_entries(path):
    return sorted(
        name for name in os.listdir(path) if not name.startswith(STAGE_PREFIX)
    )


def check_output_dir(path, inputs=(), overwrite=False, check_empty=True):
    """Checks that `--output DIR` can be created and written, creating
    nothing: the directory is made only once the run has validated its
    inputs (see `Outputs`).

    Args:
        path: the output folder.
        inputs: `(label, path)` pairs of the run's inputs (see
            `check_no_overlap`).
        overwrite: whether `--overwrite` was given.
        check_empty: whether to refuse a non-empty folder now (else call
            `check_empty_dir` later, before any work).
    """
    check_not_empty_path(path)
    check_no_overlap(path, inputs)
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise CLIError(f"--output exists and is not a directory: {path}")
        if not os.access(path, os.W_OK | os.X_OK):
            raise CLIError(f"output directory is not writable: {path}")
        if check_empty:
            check_empty_dir(path, overwrite)
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


def check_empty_dir(path, overwrite):
    """Refuses a non-empty `--output` without `--overwrite`; with it,
    refuses a folder holding sub-folders (no run writes any, so it is not
    a folder of outputs)."""
    if not os.path.isdir(path):
        return
    entries = _previous_entries(path)
    if not entries:
        return
    if not overwrite:
        raise CLIError(
            f"--output {path} is not empty ({len(entries)} entries): choose "
            "a new folder, or give --overwrite to replace its content"
        )
    folders = [e for e in entries if os.path.isdir(os.path.join(path, e))]
    if folders:
        raise CLIError(
            f"--overwrite refuses {path}: it holds the folder {folders[0]}, "
            "so it is not a folder of keras-denoise outputs"
        )


def clear_previous(path):
    """Removes the previous outputs of `--output DIR` (files only, checked
    by `check_empty_dir`), keeping staging folders."""
    for name in _previous_entries(path):
        entry = os.path.join(path, name)
        if not os.path.isdir(entry) or os.path.islink(entry):
            os.remove(entry)


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


@contextlib.contextmanager
def created_dir_removed_on_failure(path):
    """Creates `path` when missing; removes it again if the block fails
    and left it empty, so a failed run adds no empty folder."""
    created = make_output_dir(path)
    try:
        yield created
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(path)
        raise


def _lock_file(path):
    import hashlib
    import tempfile

    folder = os.path.join(
        tempfile.gettempdir(), f"keras-denoise-locks-{os.getuid()}"
    )
    os.makedirs(folder, mode=0o700, exist_ok=True)
    key = hashlib.sha256(_real(path).encode()).hexdigest()[:32]
    return os.path.join(folder, f"{key}.lock")


@contextlib.contextmanager
def output_lock(path, option="--output"):
    """Holds an exclusive lock on the output `path` for the block.

    A second run into the same output (through any link to it) fails at
    once. The lock is an advisory `flock` on a file in the temporary
    folder, released by the system when the process ends, even killed.
    """
    try:
        import fcntl
    except ImportError:  # no flock on this platform: run unlocked
        yield
        return
    try:
        handle = open(_lock_file(path), "a")
    except OSError:  # no usable temporary folder: run unlocked
        yield
        return
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise CLIError(
                f"{option} {path} is in use by another keras-denoise run"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


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
    into `DIR` (one rename each) only when the whole block succeeds; with
    `replace=True` the folder's previous entries are moved aside first and
    removed after, so `DIR` never mixes two runs' outputs. On a failure
    (an error or a signal) the staging folder is removed, and `DIR` too
    when the run created it and it is empty, so a failed run adds nothing.
    """

    def __init__(self, directory, replace=False):
        self.directory = directory
        self.replace = replace
        self.created = False
        self.stage = None

    def __enter__(self):
        import tempfile

        self.created = make_output_dir(self.directory)
        self.stage = tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=self.directory)
        return self

    def path(self, name):
        """Where to write the output file `name` during the run."""
        return os.path.join(self.stage, name)

    def _commit(self):
        import shutil
        import tempfile

        aside = None
        if self.replace and _previous_entries(self.directory):
            aside = tempfile.mkdtemp(
                prefix=STAGE_PREFIX + "old-", dir=self.directory
            )
            for name in _previous_entries(self.directory):
                os.replace(
                    os.path.join(self.directory, name),
                    os.path.join(aside, name),
                )
        for name in sorted(os.listdir(self.stage)):
            os.replace(
                os.path.join(self.stage, name),
                os.path.join(self.directory, name),
            )
        os.rmdir(self.stage)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)

    def __exit__(self, exc_type, exc, traceback):
        import shutil

        if exc_type is None:
            from keras_denoise.cli._signals import signals_deferred

            # A signal now would leave the folder half moved: it is
            # handled once every file is in place.
            with signals_deferred():
                self._commit()
            return False
        shutil.rmtree(self.stage, ignore_errors=True)
        if self.created:
            with contextlib.suppress(OSError):
                os.rmdir(self.directory)
        return False
