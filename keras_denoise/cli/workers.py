"""Multi-worker training from the command line.

`train --cluster HOST:PORT,HOST:PORT --task-index I` runs worker `I` of a
job the backend's way (`keras_denoise.distribute.setup_worker`), and
`train --workers N` starts `N` such workers on 127.0.0.1 itself. Worker 0
is the chief: it alone writes the outputs; `--batch-size` is the global
batch, split over the workers. A worker waits at most `WORKER_TIMEOUT`
seconds for the others, and the launcher stops the remaining workers as
soon as one fails, so a dead worker ends the job with one error line.
"""

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile

from keras_denoise.cli._argtypes import int_at_least
from keras_denoise.cli._runtime import CLIError
from keras_denoise.cli._runtime import say

PROG = "keras-denoise"
# Seconds a worker waits for the others (joining the job, each collective
# operation) before it fails: long enough for a peer that loads its data
# more slowly, short enough that a dead peer ends the job.
WORKER_TIMEOUT = 300
# Seconds the launcher waits between looks at its workers.
_POLL = 0.2


class Worker:
    """This process's place in a job: alone by default.

    Attributes:
        distribution: what `setup_worker` returned, `None` when alone.
        task_index: this worker's position (0 is the chief).
        count: the number of workers.
    """

    def __init__(self, distribution=None, task_index=0, count=1):
        self.distribution = distribution
        self.task_index = task_index
        self.count = count

    @property
    def is_chief(self):
        return self.task_index == 0

    def scope(self):
        """Where the model is built, compiled and trained."""
        if self.distribution is None:
            return contextlib.nullcontext()
        return self.distribution.scope()

    def local_model(self, model, path):
        """A model the chief can run alone: `model` itself, or, when it is
        distributed over the workers (whose prediction would wait for the
        others), the copy just saved at `path`."""
        if self.distribution is None:
            return model
        import keras

        return keras.saving.load_model(path, compile=False)


_CURRENT = Worker()


def current():
    """The `Worker` of this process (alone unless `--cluster` was given)."""
    return _CURRENT


def _addresses(text):
    entries = [entry.strip() for entry in text.split(",")]
    for entry in entries:
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise argparse.ArgumentTypeError(
                f"expected HOST:PORT[,HOST:PORT...] with ports in 1-65535, "
                f"got {entry!r} in {text!r}"
            )
    if len(set(entries)) != len(entries):
        raise argparse.ArgumentTypeError(f"an address appears twice: {text!r}")
    return ",".join(entries)


_count = int_at_least(1)
_index = int_at_least(0)


def _check(parser, args):
    """Usage errors between the options, before any work."""
    if args.task_index is not None and args.cluster is None:
        parser.error("--task-index needs --cluster")
    if args.cluster is not None and args.task_index is None:
        parser.error("--cluster needs --task-index")
    if args.cluster is not None and args.workers is not None:
        parser.error("--workers cannot be combined with --cluster")
    if args.cluster is not None:
        size = len(args.cluster.split(","))
        if args.task_index >= size:
            parser.error(
                f"--task-index must be in [0, {size - 1}] for a cluster of "
                f"{size}, got {args.task_index}"
            )


def add_arguments(parser):
    """Adds `--workers`, `--cluster` and `--task-index` to `parser` (the
    `train` parser), checked together after parsing; the arguments as
    given are kept for the launcher."""
    parser.add_argument(
        "--workers",
        type=_count,
        default=None,
        metavar="N",
        help=(
            "train with N worker processes on this machine (127.0.0.1), "
            "each with its share of every batch; worker 0's output is "
            "shown, the others' logs are kept only if the job fails "
            "(default: one process)"
        ),
    )
    parser.add_argument(
        "--cluster",
        type=_addresses,
        default=None,
        metavar="HOST:PORT,...",
        help=(
            "run one worker of a multi-worker job: the addresses of all "
            "workers, the same list on each; worker 0 (the chief) writes "
            "the outputs, the others nothing (needs --task-index)"
        ),
    )
    parser.add_argument(
        "--task-index",
        type=_index,
        default=None,
        metavar="I",
        help="this worker's position in --cluster (0 is the chief)",
    )
    parse = parser.parse_known_args

    def parse_checked(args=None, namespace=None):
        given = list(sys.argv[1:] if args is None else args)
        namespace, extras = parse(args, namespace)
        _check(parser, namespace)
        namespace.given_arguments = given
        return namespace, extras

    parser.parse_known_args = parse_checked


def runner(run):
    """`run` (a command's `run(args)`) as one worker, or as the launcher
    of `--workers N` local workers."""

    def run_as_worker(args):
        if args.workers is not None and args.workers > 1:
            return launch(args.given_arguments, args.workers)
        if args.cluster is not None:
            join(args.cluster, args.task_index)
        return run(args)

    return run_as_worker


def join(cluster, task_index, timeout=WORKER_TIMEOUT):
    """Joins this process to the job of `cluster` as worker `task_index`."""
    global _CURRENT
    from keras_denoise import distribute
    from keras_denoise.cli._runtime import _stderr_silenced

    addresses = cluster.split(",")
    # The backend's server start-up lines are no output of the command.
    with _stderr_silenced():
        distribution = distribute.setup_worker(
            addresses, task_index, timeout=timeout
        )
    _CURRENT = Worker(distribution, task_index, len(addresses))
    return _CURRENT


def free_ports(count):
    """`count` distinct free TCP ports on 127.0.0.1."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _without_workers(arguments):
    kept, skip = [], False
    for argument in arguments:
        if skip:
            skip = False
        elif argument == "--workers":
            skip = True
        elif not argument.startswith("--workers="):
            kept.append(argument)
    return kept


def _environment():
    import keras_denoise

    env = dict(os.environ)
    env.pop("TF_CONFIG", None)
    # The workers import the package the launcher runs.
    root = os.path.dirname(os.path.dirname(keras_denoise.__file__))
    if os.path.exists(os.path.join(root, "keras_denoise_cli.py")):
        env["PYTHONPATH"] = os.pathsep.join(
            [root] + [p for p in [env.get("PYTHONPATH")] if p]
        )
    return env


def _last_error(path):
    try:
        with open(path, errors="replace") as log:
            lines = [line.strip() for line in log if line.strip()]
    except OSError:
        return None
    errors = [line for line in lines if line.startswith(f"{PROG}: error:")]
    if errors:
        return errors[-1][len(f"{PROG}: error:") :].strip()
    return lines[-1] if lines else None


def launch(arguments, count):
    """Runs `train` with `arguments` as `count` local workers; returns 0
    when all succeed, else stops them all and raises one `CLIError`."""
    import time

    arguments = ["train", *_without_workers(arguments)]
    cluster = ",".join(f"127.0.0.1:{port}" for port in free_ports(count))
    logs = tempfile.mkdtemp(prefix="keras-denoise-workers-")
    env = _environment()
    processes = []
    say(f"Starting {count} workers on {cluster} (logs: {logs})")
    try:
        for index in range(count):
            command = [sys.executable, "-m", "keras_denoise_cli"]
            command += [*arguments, "--cluster", cluster]
            command += ["--task-index", str(index)]
            log = open(os.path.join(logs, f"worker{index}.log"), "w")  # noqa: SIM115
            with log:
                processes.append(
                    subprocess.Popen(
                        command,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=None if index == 0 else log,
                        stderr=log,
                    )
                )
        failed = None
        while failed is None and any(p.poll() is None for p in processes):
            try:
                processes[0].wait(timeout=_POLL)
            except subprocess.TimeoutExpired:
                pass
            for index, process in enumerate(processes):
                if process.poll() not in (None, 0):
                    failed = index
                    break
        if failed is None:
            failed = next(
                (i for i, p in enumerate(processes) if p.returncode != 0),
                None,
            )
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        deadline = time.monotonic() + 30
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
    if failed is None:
        import shutil

        shutil.rmtree(logs, ignore_errors=True)
        return 0
    code = processes[failed].returncode
    status = f"signal {-code}" if code < 0 else f"status {code}"
    log = os.path.join(logs, f"worker{failed}.log")
    detail = _last_error(log)
    detail = f": {detail}" if detail else ""
    raise CLIError(
        f"worker {failed} of {count} exited with {status}{detail}; the "
        f"others were stopped (log: {log})"
    )
