"""Race helper for the concurrency tests: many workers, each with its own app context
(so its own database session and connection), released together by a barrier."""
import threading

from extensions import db


def race(app, workers, action, prepare=None):
    """Run ``action(index, prepared)`` in ``workers`` threads at the same moment and return
    what each returned, or the exception it raised. ``prepare(index)`` runs in the worker
    before the barrier (e.g. to load its rows); its result is passed to ``action``."""
    barrier = threading.Barrier(workers)
    results = [None] * workers

    def run(index):
        with app.app_context():
            try:
                prepared = prepare(index) if prepare else None
                db.session.rollback()  # hold no lock while waiting at the barrier
                barrier.wait(timeout=60)
                results[index] = action(index, prepared)
            except Exception as error:  # noqa: BLE001 - the test inspects every outcome
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results
