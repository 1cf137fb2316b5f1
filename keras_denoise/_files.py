"""Atomic file writes shared across the package.

This module imports no backend and nothing from the rest of the package,
so every module (callbacks included) may import it at module level.
"""

import contextlib
import os
import secrets
import stat


def _temp_file(path, suffix=".tmp"):
    """Creates an empty temporary file next to `path`; returns (fd, name).

    The file gets the permissions a plain `open(path, "w")` would give the
    final file: those of `path` when it already exists, otherwise
    `0o666` less the process's umask (`tempfile.mkstemp` would make every
    output private, mode `0o600`).
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    prefix = f".{os.path.basename(path)}."
    for _ in range(100):
        name = os.path.join(
            directory, f"{prefix}{secrets.token_hex(4)}{suffix}"
        )
        try:
            # The kernel applies the umask to 0o666, as for `open`.
            handle = os.open(name, flags, 0o666)
        except FileExistsError:
            continue
        if mode is not None:
            try:
                os.chmod(name, mode)
            except OSError:
                pass  # not the owner of the old file: keep the default
        return handle, name
    raise FileExistsError(f"No free temporary file name next to {path!r}")


def _remove_quietly(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def atomic_write(path, write):
    """Writes a file atomically.

    `write(file)` fills a temporary file created in the same directory as
    `path` (so the rename stays on one file system); the temporary file then
    replaces `path` with `os.replace`. Readers see either the old file or the
    complete new one, never a partial file, and a failure leaves nothing
    behind. The directory is created if needed.

    Args:
        path: destination path (str or os.PathLike).
        write: callable receiving a binary file object.
    """
    path = os.fspath(path)
    handle, temp_path = _temp_file(path)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_path, path)
    except BaseException:
        _remove_quietly(temp_path)
        raise


def write_bytes_atomic(path, data):
    """Writes the bytes `data` to `path` atomically (see `atomic_write`)."""
    atomic_write(path, lambda file: file.write(data))


@contextlib.contextmanager
def atomic_path(path, suffix=".tmp"):
    """Yields a temporary path that replaces `path` when the block succeeds.

    For writers that need a file name rather than a file object, such as
    `keras.Model.save` (give `suffix=".keras"`). On an exception the
    temporary file is removed and `path` is left as it was.
    """
    path = os.fspath(path)
    handle, temp_path = _temp_file(path, suffix=suffix)
    os.close(handle)
    try:
        yield temp_path
        os.replace(temp_path, path)
    except BaseException:
        _remove_quietly(temp_path)
        raise
