"""Fixtures for the data tests: the shared AG News folder and a local HTTP server."""

from __future__ import annotations

import functools
import http.server
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# The shared_ag_news fixture lives in tests/conftest.py; it reads RNNCOURSE_DATA once at
# import, before the autouse fixture below removes the variable from every data test.


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No RNNCOURSE_DATA, a throw-away user cache, and no proxy for 127.0.0.1."""
    monkeypatch.delenv("RNNCOURSE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def _check_one_sentence(message: str) -> None:
    """Assert that an error message is one sentence: one line, one final period."""
    assert "\n" not in message, message
    assert message.endswith("."), message
    # A sentence boundary would be ". " followed by a capital letter.
    assert not re.search(r"[.!?] [A-Z]", message), message


@pytest.fixture
def one_sentence() -> Callable[[str], None]:
    """The check that an error message is a single sentence."""
    return _check_one_sentence


@dataclass
class LocalServer:
    """An HTTP server on 127.0.0.1 serving ``folder``; ``requests`` lists the paths asked for."""

    folder: Path
    base_url: str
    requests: list[str] = field(default_factory=list)
    _server: http.server.ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[LocalServer]:
    """A real HTTP server on an ephemeral port of 127.0.0.1, serving an empty temp folder."""
    folder = tmp_path / "served"
    folder.mkdir()
    seen: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep the test output clean

    handler = functools.partial(Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    running = LocalServer(folder, f"http://{host}:{port}", seen, server, thread)
    yield running
    running.stop()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 whose port nothing listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/test.csv"
