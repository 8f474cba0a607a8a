"""The one error wrapper of every command-line entry point (``senbench``, the DVC stages).

Errors a user can fix (bad names, bad files, bad parameters) print one line,
``<prog>: error: <first line of the message>``, and exit with status 2; an interrupt
exits with 130.  Anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

USER_ERRORS = (ValueError, KeyError, OSError, TypeError, RuntimeError)


def run_reporting_errors(prog: str, fn: Callable[[], object]) -> int:
    """Call ``fn()``; 0 when it returns, 2 (with one line on stderr) on a user error."""
    try:
        fn()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
    return 0


def ignored(signum: int) -> bool:
    """Whether this process ignores ``signum`` (``SIG_IGN``): on purpose, or inherited, as
    SIGINT in a shell's background job.  An ignored signal stays ignored here."""
    return signal.getsignal(signum) == signal.SIG_IGN


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (SLURM's time-out, ``kill``) raises ``KeyboardInterrupt``
    like Ctrl-C, so that one ``except KeyboardInterrupt`` saves a checkpoint or stops the
    children for both; the old handler is restored on leaving.  An ignored SIGTERM stays
    ignored.  Signal handlers belong to the main thread: elsewhere this changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if ignored(signal.SIGTERM):
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt
    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


class DeferredInterrupt:
    """Within ``with DeferredInterrupt() as stop:``, SIGINT and SIGTERM only set
    ``stop.requested``; the code raises ``KeyboardInterrupt`` itself with ``stop.check()``
    at points where its state is consistent (training: between optimiser steps, so that the
    checkpoint it saves is exactly where it stopped).  A second signal raises at once (the
    impatient Ctrl-C).  On leaving, the old handlers are back, and a stop requested after the
    last check raises then.  A signal the process ignores (SIGINT in a shell's background
    job) stays ignored.  Signal handlers belong to the main thread: elsewhere this defers
    nothing and ``check()`` never raises."""

    def __init__(self) -> None:
        self.requested = False
        self.forced = False   # a second signal raised wherever the code was
        self._old: dict[int, object] = {}

    def _handler(self, signum, frame) -> None:
        if self.requested:
            self.forced = True
            raise KeyboardInterrupt
        self.requested = True

    def check(self) -> None:
        """``KeyboardInterrupt`` if a signal came since entering."""
        if self.requested:
            raise KeyboardInterrupt

    def __enter__(self) -> "DeferredInterrupt":
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                if not ignored(signum):
                    self._old[signum] = signal.signal(signum, self._handler)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        for signum, old in self._old.items():
            signal.signal(signum, old)
        self._old.clear()
        if exc_type is None:
            self.check()
