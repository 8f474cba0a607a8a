"""Several seeds of one ``senbench`` command at once, each seed in its own process.

A run's floats depend on its recorded settings only (``threads`` among them, which the run
applies itself), never on which other runs share the machine, so seeds run side by side give
the same bytes as seeds run in turn.  On a small CPU, 1-thread runs side by side keep every
core busy, where one small model on 2 threads does not (docs/performance.md has the
figures); on a GPU, several runs share it.  This is how one DVC stage trains, or evaluates,
every seed of a row of ``params.yaml``'s ``runs``.

Paths name the seed with the literal field ``{seed}``: ``runs/shapes-limited-sen/seed{seed}``.

Start-up: a run's process spends about 3.5 s importing torch, escnn and the models (a
Reacher evaluation computes for about 2 s after that). With ``preload``, the command imports
those modules once and each seed's process is a fork of it (Linux), which starts with them
imported; elsewhere, without ``preload`` or with ``SENBENCH_FRESH_PROCESSES=1``, each seed is
a fresh ``python -m benchmark.cli`` (``python -m benchmark.bench_seed_start`` times both).
The forked run is the same ``benchmark.cli.main(argv)`` a fresh process would call, with the
same recorded settings, so it writes the same bytes (``tests/test_seed_jobs.py``).
"""
from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import IO, Any, Callable, NoReturn, Sequence

from benchmark.errors import ignored, sigterm_as_interrupt

SEED_FIELD = "{seed}"
#: the command every seed runs unless told otherwise: ``senbench``
DEFAULT_MODULE = "benchmark.cli"
#: seconds an interrupted run gets to save its checkpoint before it is killed
STOP_GRACE_S = 60.0
POLL_S = 0.2


def seed_path(template: str, seed: int) -> str:
    """``template`` with its ``{seed}`` field(s) replaced by ``seed``."""
    return template.replace(SEED_FIELD, str(seed))


def parse_seeds(text: str) -> list[int]:
    """``"0-11"``, ``"0,3,5"`` or a mix (``"0-2,7"``) -> sorted distinct seeds."""
    seeds: set[int] = set()
    try:
        for part in text.split(","):
            lo, _, hi = part.partition("-")
            seeds.update(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise ValueError(f"--seeds: expected e.g. 0-11 or 0,3,5, got {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise ValueError(f"--seeds: expected seeds >= 0, got {text!r}")
    return sorted(seeds)


def check_seeds(seeds: Sequence[int], **templates: str | None) -> list[int]:
    """Seeds as a list of distinct integers >= 0; with several, every given path template
    must contain ``{seed}`` (so that no two seeds write the same files)."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("no seeds given")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise ValueError(f"seeds must be integers >= 0, got {s!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds repeat: {seeds}")
    if len(seeds) > 1:
        for name, template in templates.items():
            if template is not None and SEED_FIELD not in template:
                raise ValueError(f"--{name} {template!r} must contain {SEED_FIELD} "
                                 f"when several seeds ({seeds}) are given")
    return seeds


#: set to 1 to start every seed's run as a fresh process even where forks are possible
FRESH_ENV = "SENBENCH_FRESH_PROCESSES"


def can_fork() -> bool:
    """Whether seeds may run as forks of this process: Linux (elsewhere fork is missing, or
    unsafe with the system's libraries, as on macOS), unless ``SENBENCH_FRESH_PROCESSES=1``."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and os.environ.get(FRESH_ENV, "0") != "1")


def wait_polling(proc: subprocess.Popen | _Forked, timeout_s: float | None = None,
                 interval_s: float = 0.2) -> int | None:
    """Exit status of ``proc`` (None after ``timeout_s``), by polling every ``interval_s``.

    Unlike ``Popen.wait()`` it holds no lock, so a signal handler that interrupts it may
    itself wait for the same process (the cluster executor's checkpoint does), and it serves
    forked children, which have no ``Popen``."""
    end = None if timeout_s is None else time.monotonic() + timeout_s
    while (returncode := proc.poll()) is None:
        if end is not None and time.monotonic() > end:
            return None
        time.sleep(interval_s)
    return returncode


class _Forked:
    """The part of ``subprocess.Popen``'s interface the loop uses, for a forked child."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        code = wait_polling(self, timeout, interval_s=0.05)
        if code is None:
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def inherited_signals() -> dict[int, Any]:
    """The SIGINT and SIGTERM dispositions a fresh child of this process would start with:
    ignored where this process ignores them (a shell's background job ignores SIGINT),
    otherwise the defaults of a fresh interpreter (``KeyboardInterrupt`` on SIGINT, the
    default action on SIGTERM).  Taken before this process installs its own handlers."""
    def fresh(signum: int, default: Any) -> Any:
        return signal.SIG_IGN if ignored(signum) else default
    return {signal.SIGINT: fresh(signal.SIGINT, signal.default_int_handler),
            signal.SIGTERM: fresh(signal.SIGTERM, signal.SIG_DFL)}


def _forked_main(module: str, argv: list[str], log_fd: int, handlers: dict[int, Any]
                 ) -> NoReturn:
    """The child of a fork: ``<module>.main(argv)`` with its output to ``log_fd`` and the
    signal ``handlers`` of a fresh interpreter (:func:`inherited_signals`); never returns
    into the parent's code."""
    code = 1
    try:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        # new streams on those descriptors: the parent's may write elsewhere (a test's capture)
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace",
                          closefd=False)
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace",
                          closefd=False)
        try:
            code = importlib.import_module(module).main(argv)
        except SystemExit as exc:   # what a fresh interpreter makes of sys.exit(...)
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except KeyboardInterrupt:
            code = 130
        except BaseException:
            traceback.print_exc()
            code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


@dataclass
class _Child:
    seed: int
    argv: list[str]
    module: str = DEFAULT_MODULE
    log: IO[bytes] = field(default=None)  # type: ignore[assignment]
    proc: subprocess.Popen | _Forked | None = None
    started: float = 0.0


def _start(child: _Child, fork_handlers: dict[int, Any] | None) -> None:
    """Start ``child``: a fork of this process with the signal handlers ``fork_handlers``
    (see :func:`_forked_main`), or a fresh process where ``fork_handlers`` is None."""
    child.log = tempfile.TemporaryFile()
    if fork_handlers is not None:
        for stream in (sys.stdout, sys.stderr):   # nothing buffered is written twice
            stream.flush()
        pid = os.fork()
        if pid == 0:
            _forked_main(child.module, child.argv, child.log.fileno(), fork_handlers)
        child.proc = _Forked(pid)
    else:
        child.proc = subprocess.Popen([sys.executable, "-m", child.module, *child.argv],
                                      stdout=child.log, stderr=subprocess.STDOUT)
    child.started = time.perf_counter()


def _preload(modules: Sequence[str | Callable[[], object]]) -> bool:
    """Import ``modules`` (names, or callables that import) for the forked runs; False
    (each run then starts fresh and reports the problem itself) if one fails."""
    try:
        for module in modules:
            module() if callable(module) else importlib.import_module(module)
    except Exception:
        return False
    return True


def _output(child: _Child) -> str:
    child.log.seek(0)
    text = child.log.read().decode(errors="replace")
    child.log.close()
    return text


def _stop(children: list[_Child], signal_them: bool = True) -> None:
    """SIGINT to the running ones (a training run saves an exact checkpoint), then wait for
    them; ``signal_them=False`` when the signal already reached their process group."""
    running = [c for c in children if c.proc is not None and c.proc.poll() is None]
    for c in running if signal_them else ():
        c.proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + STOP_GRACE_S
    for c in running:
        try:
            c.proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            c.proc.kill()
            c.proc.wait()


def run_seed_jobs(jobs: Sequence[tuple[int, list[str]]], at_once: int, label: str,
                  stream: IO[str] = sys.stderr,
                  preload: Sequence[str | Callable[[], object]] | None = None,
                  module: str = DEFAULT_MODULE) -> None:
    """Run ``python -m <module> ARGV`` (``senbench ARGV`` by default) for every ``(seed,
    ARGV)``, ``at_once`` at a time; ``module`` has a ``main(argv)`` and runs it as
    ``__main__``.

    With ``preload`` (module names, or callables that import) and :func:`can_fork`, those
    modules are imported here and each run is a fork of this process calling
    ``<module>.main(ARGV)``; only a command that has run no torch operation yet (so no
    thread pool of torch's exists to be copied half-way) may ask for it.

    Each run's output is kept and written to ``stream`` when it ends, every line prefixed
    with ``label`` and its seed.  The first run that fails stops the others (SIGINT) and
    raises ``RuntimeError`` with its exit status and last line of output.  An interrupt or
    SIGTERM (SLURM's time-out) reaches the runs through their process group; this waits for
    them to save their checkpoints, then raises ``KeyboardInterrupt``.
    """
    if isinstance(at_once, bool) or not isinstance(at_once, int) or at_once < 1:
        raise ValueError(f"--jobs must be an integer >= 1, got {at_once!r}")
    waiting = [_Child(seed, list(argv), module) for seed, argv in jobs]
    running: list[_Child] = []
    fork = preload is not None and can_fork() and _preload(preload)
    print(f"{label}: {len(waiting)} seed(s), {at_once} at a time, each in "
          f"{'a fork of this process' if fork else 'a fresh process'}", file=stream, flush=True)
    handlers = inherited_signals() if fork else None   # before this process's own handler
    try:
        with sigterm_as_interrupt():
            _run(waiting, running, at_once, label, len(jobs), stream, handlers)
    except KeyboardInterrupt:
        _stop(running, signal_them=False)
        raise


def _run(waiting: list[_Child], running: list[_Child], at_once: int, label: str, total: int,
         stream: IO[str], fork_handlers: dict[int, Any] | None = None) -> None:
    """Start and collect the runs, ``at_once`` at a time (the loop of :func:`run_seed_jobs`):
    forks with the signal handlers ``fork_handlers``, fresh processes where it is None.

    ``running`` is the caller's list, filled here with the children started and not yet
    collected, so that the caller can stop them when this loop is interrupted."""
    done = 0
    t0 = time.perf_counter()
    while waiting or running:
        while waiting and len(running) < at_once:
            child = waiting.pop(0)
            _start(child, fork_handlers)
            running.append(child)
        time.sleep(POLL_S)
        for child in [c for c in running if c.proc.poll() is not None]:
            running.remove(child)
            text = _output(child)
            for line in text.splitlines():
                if line.strip():
                    print(f"[{label} seed {child.seed}] {line}", file=stream)
            code = child.proc.returncode
            if code != 0:
                last = next((ln for ln in reversed(text.splitlines()) if ln.strip()),
                            "no output")
                _stop(running)
                raise RuntimeError(f"{label} seed {child.seed} failed (exit status "
                                   f"{code}): {last.strip()}")
            done += 1
            print(f"{label}: seed {child.seed} done in "
                  f"{time.perf_counter() - child.started:.1f} s ({done}/{total}, "
                  f"{time.perf_counter() - t0:.1f} s in all)", file=stream, flush=True)
