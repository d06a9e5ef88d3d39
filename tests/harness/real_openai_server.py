"""vLLM's OpenAI-compatible server on the embedded model, for the real-server tests of
tests/harness/test_openai_backend.py.

Its start-up takes a minute and a half on two cores, almost all on one of them, while pytest runs
one test at a time on the other. So tests/conftest.py calls `start()` as soon as collection shows
that a selected test needs the server, and the start overlaps the tests that run before that
module; the module's `server` fixture then only waits (`wait_until_ready`) and stops it afterwards.
`stop()` also runs at the end of the session, so a run cut short leaves no server behind.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

START_TIMEOUT_S = 300


@dataclass
class _Server:
    proc: subprocess.Popen[bytes]
    base_url: str
    folder: Path

    @property
    def log(self) -> Path:
        return self.folder / "server.log"


_server: _Server | None = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start() -> None:
    """Launch the server process in the background (no wait); a no-op while one is running."""
    global _server
    if _server is not None:
        return
    from bench.harness.embedded_model import embedded_model_dir

    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="bench-openai-server-"))
    with (folder / "server.log").open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(embedded_model_dir()),
             "--served-model-name", "smollm2", "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32",
             "--enforce-eager", "--max-model-len", "2048"],
            stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"},
        )
    _server = _Server(proc, f"http://127.0.0.1:{port}/v1", folder)


def wait_until_ready(timeout: float = START_TIMEOUT_S) -> str:
    """The server's base URL once it lists its models; RuntimeError (with the log's tail) if it
    exits or does not answer within `timeout` seconds of this call."""
    start()
    assert _server is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _server.proc.poll() is not None:
            tail = _server.log.read_text()[-3000:]
            stop()
            raise RuntimeError(f"server exited early:\n{tail}")
        try:
            if httpx.get(f"{_server.base_url}/models", timeout=2).status_code == 200:
                return _server.base_url
        except httpx.HTTPError:
            time.sleep(1)
    stop()
    raise RuntimeError(f"server did not come up in {timeout:.0f} s")


def stop() -> None:
    """Terminate the server (kill after 30 s) and remove its log folder; a no-op when none runs."""
    global _server
    if _server is None:
        return
    server, _server = _server, None
    server.proc.terminate()
    try:
        server.proc.wait(30)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(30)
    shutil.rmtree(server.folder, ignore_errors=True)
