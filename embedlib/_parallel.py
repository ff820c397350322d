"""Running one epoch's work in threads, with a progress bar and clean interruption.

The training kernels release the GIL (``nogil=True``), so plain Python threads run them
in parallel; each thread calls a kernel once per job and checks ``stop`` between jobs.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence

__all__ = ["run_threads"]


def run_threads(work: Callable[[int, threading.Event], None], n_threads: int, *,
                stop: threading.Event | None = None, progress: Sequence[int] | None = None,
                bar=None, postfix: Callable[[], dict] | None = None,
                poll: float = 0.25) -> None:
    """Run ``work(t, stop)`` for ``t < n_threads`` in threads and wait for all of them.

    ``work`` should return soon after ``stop`` is set. The first exception raised in a
    thread is raised here once every thread has ended. On an exception in the calling
    thread (Ctrl-C), ``stop`` is set and the threads are joined before it propagates, so
    that no thread keeps writing to the parameters. With a tqdm ``bar``, it advances to
    ``sum(progress)`` every ``poll`` seconds and shows ``postfix()``. ``stop`` may be
    the caller's own event (work can also set it, e.g. when training diverges). Each
    thread runs in a copy of the caller's context (:mod:`contextvars`), so that its error
    messages name parameters as the caller's do (see :func:`embedlib._errors.spell`).
    """
    stop = threading.Event() if stop is None else stop
    errors: list[BaseException] = []

    def guarded(t):
        try:
            work(t, stop)
        except BaseException as e:  # raised again in the calling thread
            errors.append(e)
            stop.set()

    if n_threads == 1 and bar is None:
        guarded(0)
    else:
        threads = [threading.Thread(target=contextvars.copy_context().run,
                                    args=(guarded, t), daemon=True)
                   for t in range(n_threads)]
        for th in threads:
            th.start()
        shown = 0
        try:
            for th in threads:
                while th.is_alive():
                    th.join(poll)
                    if bar is not None:
                        now = sum(progress)
                        bar.update(now - shown)
                        shown = now
                        if postfix is not None:
                            bar.set_postfix(**postfix(), refresh=False)
        except BaseException:
            stop.set()
            for th in threads:
                th.join()
            raise
        if bar is not None:
            bar.update(sum(progress) - shown)
    if errors:
        raise errors[0]

