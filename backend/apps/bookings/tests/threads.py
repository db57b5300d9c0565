"""Run test code in real threads, each with its own database connection."""

import threading

from django.db import connections


def in_threads(count, target, *, timeout=60):
    """Run `target(index)` in `count` threads released together; return results.

    Each thread gets its own connection (Django's are per thread) and closes
    it when done, so the test database can be flushed and dropped afterwards.
    """
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = target(index)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results
