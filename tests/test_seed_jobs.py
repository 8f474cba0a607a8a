"""Several seeds in one command (benchmark/seed_jobs.py): side by side, the same bytes as one
seed at a time; bad seeds and failing runs give one line and a non-zero exit."""
from __future__ import annotations

import io
import subprocess
import sys

import pytest

from benchmark.seed_jobs import can_fork, check_seeds, run_seed_jobs, seed_path


def run(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "benchmark.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def test_seed_path_and_checks():
    assert seed_path("runs/x/seed{seed}", 7) == "runs/x/seed7"
    assert seed_path("runs/x", 7) == "runs/x"
    assert check_seeds([2, 0, 1], out="r/seed{seed}") == [2, 0, 1]
    assert check_seeds([3], out="r/one-run") == [3]   # one seed: any path
    with pytest.raises(ValueError, match="must contain {seed}"):
        check_seeds([0, 1], out="r/seed{seed}", summary="s.json")
    with pytest.raises(ValueError, match="seeds repeat"):
        check_seeds([0, 0], out="r/{seed}")
    with pytest.raises(ValueError, match="integers >= 0"):
        check_seeds([-1], out="r")
    with pytest.raises(ValueError, match="no seeds"):
        check_seeds([], out="r")


@pytest.mark.parametrize("preload", [None, ()], ids=["fresh", "forked"])
def test_failing_job_says_which(preload):
    """The first failure is an error naming the seed, its exit status and its last line,
    whether the runs are fresh processes or forks of this one."""
    stream = io.StringIO()
    jobs = [(0, ["describe", "--env", "shapes"]), (1, ["train", "--help"])]
    with pytest.raises(RuntimeError, match=r"^train x seed 0 failed \(exit status 2\): "
                                           r".*arguments are required: --method"):
        run_seed_jobs(jobs, 2, "train x", stream, preload=preload)
    mode = "a fresh process" if preload is None or not can_fork() else "a fork of this process"
    assert f"train x: 2 seed(s), 2 at a time, each in {mode}" in stream.getvalue()
    with pytest.raises(ValueError, match="--jobs must be an integer >= 1"):
        run_seed_jobs(jobs, 0, "train x", stream, preload=preload)


@pytest.mark.skipif(not can_fork(), reason="forked runs are for Linux")
def test_forked_run_output_and_exit_status():
    """A forked run's output reaches the log with the seed's prefix, its exit status is
    main's (argparse's sys.exit(0) after --help is a success), and it is counted.  (No torch
    operation in the children: this test process may hold torch's thread pool.)"""
    stream = io.StringIO()
    run_seed_jobs([(3, ["train", "--help"])], 1, "help", stream, preload=("benchmark.params",))
    text = stream.getvalue()
    assert "each in a fork of this process" in text
    assert "[help seed 3] usage: " in text and "--method" in text, text
    assert "help: seed 3 done in " in text and "(1/1," in text


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("seeds")
    params = root / "params.yaml"
    params.write_text("profile: default\nseeds: [0, 1, 2]\n"
                      "train:\n  shapes: {epochs: 1, batch_size: 8, lr: 0.001, threads: 1,\n"
                      "    val_episodes: 4, models: {cnn: {embedding_hidden: 4, "
                      "encoder_hidden: 8, transition_hidden: 8}}}\n")
    data = {split: root / f"{split}.h5" for split in ("limited", "eval")}
    assert run("generate", "--env", "shapes", "--split", "limited", "--episodes", 16, "--steps",
               1, "--seed", 3, "--actions", "up", "--out", data["limited"], "--quiet")[0] == 0
    assert run("generate", "--env", "shapes", "--split", "eval", "--episodes", 8, "--steps",
               10, "--seed", 4, "--out", data["eval"], "--quiet")[0] == 0
    return root, params, data


def test_side_by_side_seeds_equal_one_at_a_time(tiny_data):
    """`--seeds-from-params` (what dvc.yaml runs) trains and evaluates the 3 seeds at once;
    each seed's model.pt and metrics JSON equal those of that seed trained alone."""
    root, params, data = tiny_data
    code, _, err = run("train", "--env", "shapes", "--method", "cnn", "--data", data["limited"],
                       "--seeds-from-params", "--params", params, "--out",
                       root / "par" / "seed{seed}", "--eval-data", data["eval"], "--quiet")
    assert code == 0, err
    assert err.count("train shapes/cnn: seed ") == 3 and "(3/3," in err
    mode = "a fork of this process" if can_fork() else "a fresh process"
    assert f"train shapes/cnn: 3 seed(s), 3 at a time, each in {mode}" in err
    code, _, err = run("evaluate", "--run", root / "par" / "seed{seed}", "--data", data["eval"],
                       "--seeds-from-params", "--params", params, "--jobs", 2, "--out",
                       root / "metrics" / "seed{seed}.json", "--summary",
                       root / "summaries" / "seed{seed}.json", "--quiet")
    assert code == 0, err
    assert sorted(p.name for p in (root / "metrics").iterdir()) == \
        ["seed0.json", "seed1.json", "seed2.json"]
    assert len(list((root / "summaries").iterdir())) == 3
    code, _, err = run("train", "--env", "shapes", "--method", "cnn", "--data", data["limited"],
                       "--seed", 1, "--params", params, "--out", root / "alone",
                       "--eval-data", data["eval"], "--quiet")
    assert code == 0, err
    assert (root / "alone" / "model.pt").read_bytes() == \
        (root / "par" / "seed1" / "model.pt").read_bytes()
    assert (root / "par" / "seed0" / "model.pt").read_bytes() != \
        (root / "par" / "seed1" / "model.pt").read_bytes()
    code, out, err = run("evaluate", "--run", root / "alone", "--data", data["eval"],
                         "--out", root / "alone.json")
    assert code == 0, err
    assert '"metrics"' in out   # one run, no --quiet: the metrics printed, as before
    alone = (root / "alone.json").read_text().replace(str(root / "alone"), "RUN")
    side = (root / "metrics" / "seed1.json").read_text().replace(str(root / "par" / "seed1"),
                                                                   "RUN")
    assert alone == side


@pytest.mark.parametrize("args, needle", [
    (["--seed", "0", "1", "--out", "{root}/no-field"], "must contain {seed}"),
    (["--seed", "0", "0", "--out", "{root}/s{seed}"], "seeds repeat"),
    (["--seed", "0", "1", "--jobs", "0", "--out", "{root}/s{seed}"], "--jobs must be"),
])
def test_bad_seed_arguments(tiny_data, args, needle):
    root, params, data = tiny_data
    args = [a.replace("{root}", str(root)) for a in args]
    code, _, err = run("train", "--env", "shapes", "--method", "cnn", "--data", data["limited"],
                       "--params", params, *args)
    lines = [ln for ln in err.splitlines() if ln.strip() and "pybullet build time" not in ln]
    assert code == 2 and len(lines) == 1 and needle in lines[0], err
    assert not (root / "no-field").exists()


def test_seeds_at_once_from_params(tiny_data, tmp_path):
    """`--seeds-from-params` takes how many seeds run at once from `cluster.seeds_at_once`
    (a bad value is the one-line error of a bad --jobs); --jobs overrides it."""
    root, params, data = tiny_data
    bad = tmp_path / "params.yaml"
    bad.write_text(params.read_text() + "cluster: {seeds_at_once: 0}\n")
    code, _, err = run("train", "--env", "shapes", "--method", "cnn", "--data", data["limited"],
                       "--seeds-from-params", "--params", bad, "--out", tmp_path / "s{seed}")
    assert code == 2 and "--jobs must be an integer >= 1, got 0" in err, err
    code, _, err = run("evaluate", "--run", tmp_path / "s{seed}", "--data", data["eval"],
                       "--seeds-from-params", "--params", bad, "--jobs", 0,
                       "--out", tmp_path / "m{seed}.json")
    assert code == 2 and "--jobs must be an integer >= 1, got 0" in err, err
    assert not list(tmp_path.glob("s*")) and not list(tmp_path.glob("m*"))


def test_failing_seed_run_is_one_line(tiny_data, tmp_path):
    """A run that fails in its own process (a missing data file): exit 2, one line naming
    the seed and the run's own error."""
    root, params, data = tiny_data
    code, _, err = run("train", "--env", "shapes", "--method", "cnn", "--data",
                       tmp_path / "missing.h5", "--seed", 0, 1, "--params", params,
                       "--out", tmp_path / "s{seed}")
    errors = [ln for ln in err.splitlines() if ln.startswith("senbench: error:")]
    assert code == 2 and len(errors) == 1, err
    assert "train shapes/cnn seed " in errors[0] and "missing.h5" in errors[0], err


def test_sigterm_as_interrupt_raises_inside_and_restores_the_handler():
    """SIGTERM (SLURM's time-out) is a KeyboardInterrupt within the block, so training saves
    its checkpoint and the seed runner stops its children the way Ctrl-C does; afterwards the
    old handler is back."""
    import os
    import signal

    from benchmark.errors import sigterm_as_interrupt
    seen = []
    old = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        with pytest.raises(KeyboardInterrupt):
            with sigterm_as_interrupt():
                os.kill(os.getpid(), signal.SIGTERM)
                pytest.fail("SIGTERM did not interrupt the block")
        os.kill(os.getpid(), signal.SIGTERM)
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, old)


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_ignored_signals_stay_ignored(signum):
    """A signal the process ignores (SIGINT in a shell's background job, nohup's kind of
    set-up) neither stops training (DeferredInterrupt) nor the seed runner
    (sigterm_as_interrupt), and is still ignored afterwards."""
    import os
    import signal

    from benchmark.errors import DeferredInterrupt, ignored, sigterm_as_interrupt
    signum = getattr(signal, signum)
    old = signal.signal(signum, lambda *_: None)
    try:
        assert not ignored(signum)
        signal.signal(signum, signal.SIG_IGN)
        assert ignored(signum)
        with DeferredInterrupt() as stop, sigterm_as_interrupt():
            os.kill(os.getpid(), signum)
            stop.check()
        assert not stop.requested
        assert signal.getsignal(signum) == signal.SIG_IGN
    finally:
        signal.signal(signum, old)


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_deferred_interrupt_waits_for_check_and_a_second_signal_forces(signum):
    """In training's DeferredInterrupt, a first signal only sets `requested` (the run stops at
    its next check, between optimiser steps); a second raises at once and sets `forced`;
    leaving restores the old handler and raises a stop requested after the last check."""
    import signal
    signum = getattr(signal, signum)
    # a handled signal, as in a terminal (a shell's background job ignores SIGINT, and an
    # ignored signal stays ignored: test_ignored_signals_stay_ignored)
    outer = signal.signal(signum, lambda *_: None)
    try:
        _deferred_interrupt_checks(signum)
    finally:
        signal.signal(signum, outer)


def _deferred_interrupt_checks(signum: int) -> None:
    import os
    import signal

    from benchmark.errors import DeferredInterrupt
    old = signal.getsignal(signum)
    with pytest.raises(KeyboardInterrupt):
        with DeferredInterrupt() as stop:
            os.kill(os.getpid(), signum)
            assert stop.requested and not stop.forced   # no raise yet
            stop.check()
            pytest.fail("check() did not raise")
    assert signal.getsignal(signum) is old
    with pytest.raises(KeyboardInterrupt):
        with DeferredInterrupt() as stop:
            os.kill(os.getpid(), signum)
            os.kill(os.getpid(), signum)
            pytest.fail("a second signal did not raise")
    assert stop.forced
    with pytest.raises(KeyboardInterrupt):   # requested after the last check: raised on exit
        with DeferredInterrupt() as stop:
            os.kill(os.getpid(), signum)
    with DeferredInterrupt() as stop:
        stop.check()   # nothing requested: no raise
    assert not stop.requested and signal.getsignal(signum) is old


@pytest.mark.parametrize("signame,ignored", [("SIGINT", False), ("SIGTERM", False),
                                             ("SIGINT", True)],
                         ids=["SIGINT", "SIGTERM", "SIGINT-ignored"])
def test_interrupted_seeds_save_and_resume_to_the_same_bytes(tiny_data, tmp_path, signame,
                                                            ignored):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it; SIGTERM as SLURM does)
    while the seeds train side by side: the command exits 130, every seed has saved its
    checkpoint, and running the command again resumes them to the bytes of an uninterrupted
    run.  A command that ignores SIGINT (a shell's background job) ignores it in its seeds
    too, as fresh processes would: it trains on to the end."""
    import os
    import signal
    import time
    root, _, data = tiny_data

    def start_like_a_shell():   # a terminal's job gets SIGINT's default; a background job
        signal.signal(signal.SIGINT, signal.SIG_IGN if ignored else signal.SIG_DFL)
    params = tmp_path / "params.yaml"
    params.write_text("profile: default\nseeds: [0, 1, 2]\n"
                      "train:\n  shapes: {epochs: 40, batch_size: 4, lr: 0.001, threads: 1,\n"
                      "    val_episodes: 0, models: {cnn: {embedding_hidden: 4, "
                      "encoder_hidden: 8, transition_hidden: 8}}}\n")
    args = [sys.executable, "-m", "benchmark.cli", "train", "--env", "shapes", "--method",
            "cnn", "--data", str(data["limited"]), "--seeds-from-params", "--params",
            str(params), "--quiet"]
    out = tmp_path / "cut"
    proc = subprocess.Popen([*args, "--out", str(out / "seed{seed}")], start_new_session=True,
                            preexec_fn=start_like_a_shell, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    checkpoints = [out / f"seed{s}" / "checkpoint.pt" for s in range(3)]
    deadline = time.monotonic() + 120
    while not all(c.exists() for c in checkpoints) and proc.poll() is None:
        assert time.monotonic() < deadline, "the seeds did not start"
        time.sleep(0.05)
    assert proc.poll() is None, "training ended before it could be interrupted"
    os.killpg(proc.pid, getattr(signal, signame))
    _, err = proc.communicate(timeout=120)
    if ignored:
        assert proc.returncode == 0, err
        assert "interrupted" not in err
    else:
        assert proc.returncode == 130, err
        assert "interrupted" in err
        assert not any((out / f"seed{s}" / "model.pt").exists() for s in range(3)), err
        code, _, err = run(*args[3:], "--out", out / "seed{seed}")
        assert code == 0, err
    code, _, err = run(*args[3:], "--out", tmp_path / "whole" / "seed{seed}")
    assert code == 0, err
    for s in range(3):
        assert (out / f"seed{s}" / "model.pt").read_bytes() == \
            (tmp_path / "whole" / f"seed{s}" / "model.pt").read_bytes()


def test_inherited_signals_are_a_fresh_interpreters():
    """A forked seed starts with the SIGINT/SIGTERM handling a fresh process would get from
    this one: ignored stays ignored, anything else (this process's own handlers, such as the
    command's SIGTERM-as-interrupt) becomes a fresh interpreter's default."""
    import signal
    from benchmark.seed_jobs import inherited_signals
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: None)
        assert inherited_signals() == {signal.SIGINT: signal.SIG_IGN,
                                       signal.SIGTERM: signal.SIG_DFL}
        signal.signal(signal.SIGINT, lambda *_: None)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        assert inherited_signals() == {signal.SIGINT: signal.default_int_handler,
                                       signal.SIGTERM: signal.SIG_IGN}
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def test_fresh_processes_on_request(monkeypatch):
    """SENBENCH_FRESH_PROCESSES=1 turns forking off: every run is a fresh process."""
    from benchmark.seed_jobs import FRESH_ENV
    monkeypatch.setenv(FRESH_ENV, "1")
    assert not can_fork()
    stream = io.StringIO()
    run_seed_jobs([(0, ["train", "--help"])], 1, "help", stream, preload=())
    assert "help: 1 seed(s), 1 at a time, each in a fresh process" in stream.getvalue()
    assert "[help seed 0] usage: " in stream.getvalue()
