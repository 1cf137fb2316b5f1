"""Which weights `benchmarks/train_pretrained.py` settles and exports.

A fresh checkout gives every file the time of the checkout, so the choice
between the settled weights and the last epoch's backup must come from
the epochs recorded beside them, never from file times.
"""

import json
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def script(load_benchmark):
    return load_benchmark("train_pretrained")


def _write(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _workdir(tmp_path, backup_epoch, last_epoch=None):
    _write(tmp_path / "backup" / "latest.weights.h5")
    _write(
        tmp_path / "backup" / "training_metadata.json",
        json.dumps({"epoch": backup_epoch, "batch": 0}),
    )
    _write(tmp_path / "last.weights.h5")
    if last_epoch is not None:
        _write(
            tmp_path / "last.json",
            json.dumps({"epoch": last_epoch, "settle_steps": 150}),
        )
    return tmp_path


def _make_older(path, than):
    t = os.path.getmtime(than)
    os.utime(path, (t - 100, t - 100))


def test_settled_weights_of_the_backups_epoch_win_though_older(
    script, tmp_path
):
    work = _workdir(tmp_path, backup_epoch=83, last_epoch=83)
    backup = work / "backup" / "latest.weights.h5"
    _make_older(work / "last.weights.h5", than=backup)
    assert script.trained_weights(str(work)) == str(work / "last.weights.h5")


def test_a_backup_trained_past_the_last_weights_wins_though_older(
    script, tmp_path
):
    work = _workdir(tmp_path, backup_epoch=90, last_epoch=83)
    backup = work / "backup" / "latest.weights.h5"
    _make_older(backup, than=work / "last.weights.h5")
    assert script.trained_weights(str(work)) == str(backup)


def test_last_weights_without_a_record_lose_to_the_backup(script, tmp_path):
    work = _workdir(tmp_path, backup_epoch=5)
    assert script.trained_weights(str(work)) == str(
        work / "backup" / "latest.weights.h5"
    )


def test_no_weights_stops_with_the_folder_named(script, tmp_path):
    with pytest.raises(SystemExit, match=str(tmp_path)):
        script.trained_weights(str(tmp_path))


def test_save_last_records_the_backups_epoch(script, tmp_path):
    _write(
        tmp_path / "backup" / "training_metadata.json",
        json.dumps({"epoch": 12, "batch": 0}),
    )

    class Model:
        def save_weights(self, path):
            Path(path).write_text("w")

    script.save_last(Model(), str(tmp_path), settle_steps=40)
    assert (tmp_path / "last.weights.h5").read_text() == "w"
    assert json.loads((tmp_path / "last.json").read_text()) == {
        "epoch": 12,
        "settle_steps": 40,
    }


def test_a_stop_signal_waits_for_the_epoch_end_and_a_second_one_does_not(
    script,
):
    import signal

    names = script.StopAtEpochEnd.NAMES
    saved = {n: signal.getsignal(getattr(signal, n)) for n in names}
    try:
        stop = script.StopAtEpochEnd()
        assert not stop.requested
        os.kill(os.getpid(), signal.SIGTERM)
        # Python runs the handler at the next bytecode of the main thread.
        assert stop.requested
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGHUP)
        assert stop.received == [signal.SIGTERM, signal.SIGHUP]
    finally:
        for name, handler in saved.items():
            signal.signal(getattr(signal, name), handler)
