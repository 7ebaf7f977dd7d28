"""gunicorn settings: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be overridden from the environment (GUNICORN_* below) or the command
line. The app servers hold no state, so workers and machines can be added freely.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# (2 x cores) + 1 is gunicorn's rule of thumb for synchronous workers.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "sync" if threads == 1 else "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5
# Recycle workers now and then, so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = 200
# Build the app once in the master: a configuration error stops the start at once.
preload_app = True
# The app logs every request itself (with its request id); gunicorn's own errors go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Trust X-Forwarded-* only from the proxy in front (the app's PROXY_COUNT does the rest).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    # Connections opened in the master (preload) must not be shared across processes.
    from extensions import db

    app = worker.app.wsgi()
    with app.app_context():
        db.engine.dispose()
