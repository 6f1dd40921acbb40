"""Serving /metrics: prometheus_client's WSGI app, with optional TLS and basic auth."""

from __future__ import annotations

import base64
import hmac
import ssl
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # one line per scrape is noise
        pass


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


def serve(registry: CollectorRegistry, address: str, port: int, certfile: str | None = None, keyfile: str | None = None,
          auth: tuple[str, str] | None = None) -> WSGIServer:
    """Start serving /metrics in a daemon thread; return the server (call shutdown() to stop)."""
    app = make_wsgi_app(registry)
    if auth:
        app = basic_auth(app, *auth)
    httpd = make_server(address, port, app, WSGIServer, handler_class=_Quiet)
    if certfile:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certfile, keyfile)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd
