"""Serving /metrics: prometheus_client's WSGI app on a bounded pool of threads, with optional TLS and basic auth.

The standard library's WSGI server answers one connection at a time, so a single client that
opens a connection and sends nothing stalls every scrape behind it. Here the accepting thread
only accepts; each connection is served by one of a fixed number of worker threads, with a
read timeout, and the TLS handshake happens in the worker too (a silent client never reaches
the accepting thread's critical path).
"""

from __future__ import annotations

import base64
import hmac
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from prometheus_client import CollectorRegistry, make_wsgi_app

WORKERS = 16  # connections served at once; the rest wait (bounded below) in the pool's queue
MAX_PENDING = 256  # accepted connections waiting for a worker before new ones are refused
READ_TIMEOUT = 10.0  # seconds a client may take to send its request


class _Handler(WSGIRequestHandler):
    timeout = READ_TIMEOUT  # StreamRequestHandler sets it on the socket

    def log_message(self, *args):  # one line per scrape is noise
        pass


class PooledWSGIServer(WSGIServer):
    """A WSGIServer that hands every accepted connection to a bounded thread pool."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, app, workers: int = WORKERS):
        super().__init__(address, _Handler)
        self.set_app(app)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aicost-metrics")
        self._pending = threading.BoundedSemaphore(MAX_PENDING)

    def process_request(self, request, client_address):
        """Queue the connection for a worker; refuse it when too many are already waiting."""
        if not self._pending.acquire(blocking=False):
            self.shutdown_request(request)
            return
        self._pool.submit(self._serve, request, client_address)

    def _serve(self, request, client_address):
        try:
            request.settimeout(READ_TIMEOUT)
            if isinstance(request, ssl.SSLSocket):
                request.do_handshake()
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - a broken client must not take a worker down with it
            pass
        finally:
            self._pending.release()
            self.shutdown_request(request)

    def server_close(self):
        """Stop listening and let the workers finish."""
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


class SingleFlight:
    """A registry view whose concurrent collections share one: scrapers that arrive while a
    collection runs wait for it instead of reading every GPU again (the families are immutable
    once built, so sharing them is safe)."""

    def __init__(self, registry: CollectorRegistry):
        self._registry = registry
        self._lock = threading.Lock()
        self._flight: tuple[threading.Event, list, list] | None = None

    def collect(self):
        """The metric families of one collection, shared by the callers that overlapped it."""
        with self._lock:
            flight, leader = self._flight, self._flight is None
            if leader:
                flight = self._flight = (threading.Event(), [], [])
        done, result, failure = flight
        if leader:
            try:
                result.extend(self._registry.collect())
            except Exception as exc:  # every caller of this flight sees the failure, not an empty page
                failure.append(exc)
            finally:
                with self._lock:
                    self._flight = None
                done.set()
        else:
            done.wait()
        if failure:
            raise failure[0]
        return iter(result)

    def restricted_registry(self, names):
        """Filtering by name[] is rare: done directly, not shared."""
        return self._registry.restricted_registry(names)


def basic_auth(app, user: str, password: str):
    """Wrap a WSGI app so that it answers 401 without the right credentials."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def guarded(environ, start_response):
        given = environ.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="aicost"'), ("Content-Type", "text/plain")])
            return [b"unauthorized\n"]
        return app(environ, start_response)
    return guarded


def tls_context(certfile: str, keyfile: str | None) -> ssl.SSLContext:
    """A server TLS context; ssl errors propagate for the caller to name the files."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    return ctx


def serve(registry: CollectorRegistry, address: str, port: int, tls: ssl.SSLContext | None = None,
          auth: tuple[str, str] | None = None) -> PooledWSGIServer:
    """Start serving /metrics in a daemon thread; return the server (call shutdown() to stop)."""
    app = make_wsgi_app(SingleFlight(registry))
    if auth:
        app = basic_auth(app, *auth)
    httpd = PooledWSGIServer((address, port), app)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd
