"""SIGTERM and SIGHUP handled as SIGINT is: the run stops where it is,
its staging files are removed and one line says so."""

import contextlib
import signal

# Signals that end a run the way Ctrl-C does.
STOP_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP")
    if hasattr(signal, name)
)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when SIGTERM or SIGHUP arrives."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


# The stop signals received since `install`, in order.
_received = []


def _interrupt(signum):
    if signum == signal.SIGINT:
        return KeyboardInterrupt()
    return Terminated(signum)


def _raise(signum, frame):
    _received.append(signum)
    raise _interrupt(signum)


def install():
    """Makes SIGTERM and SIGHUP raise `Terminated` (a `KeyboardInterrupt`),
    so every cleanup that runs for Ctrl-C runs for them too, and records
    every stop signal (SIGINT included) for `raise_received`."""
    del _received[:]
    for signum in STOP_SIGNALS:
        with contextlib.suppress(ValueError, OSError):  # not main thread
            signal.signal(signum, _raise)


def raise_received():
    """Raises the interrupt of a stop signal received since `install`.

    Python runs a signal's handler at the next instruction of the main
    thread; when that instruction belongs to a finalizer (`__del__`, a
    weakref callback), as happens while a backend is imported, the
    exception is reported as ignored and lost. The command calls this once
    the backend has started, so a Ctrl-C during the start-up still stops
    the run.
    """
    if _received:
        raise _interrupt(_received[-1])


def describe(interrupt):
    """`(exit status, words)` for a `KeyboardInterrupt` or `Terminated`."""
    signum = getattr(interrupt, "signum", signal.SIGINT)
    name = signal.Signals(signum).name
    return 128 + int(signum), f"interrupted by {name}"


@contextlib.contextmanager
def signals_deferred():
    """Holds the stop signals back during the block (they are delivered
    when it ends), for steps that must not stop half done."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        yield
        return
    try:
        mask(signal.SIG_BLOCK, STOP_SIGNALS)
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        mask(signal.SIG_UNBLOCK, STOP_SIGNALS)
