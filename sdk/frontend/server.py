"""Serves a dapp's front end from this machine: its files, its /config.json, a JSON-RPC relay to
the node (/rpc) so the page needs no other origin, and a task's progress off chain (/progress/<task
id>: the pool oracle's state and the grid job's replicas, both public). The browser is told to load
nothing from anywhere else."""

from __future__ import annotations

import json
import logging
import re
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

log = logging.getLogger("cumulus.frontend")
PAGES = Path(__file__).parent / "vanity"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8"}
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
MAX_RPC_BYTES = 64 * 1024
# reads, and the calls a wallet makes to send one transaction
RELAYED = frozenset({"eth_chainId", "net_version", "eth_blockNumber", "eth_call", "eth_estimateGas", "eth_getLogs",
                     "eth_getBalance", "eth_getTransactionReceipt", "eth_getTransactionByHash", "eth_getBlockByNumber",
                     "eth_gasPrice", "eth_maxPriorityFeePerGas", "eth_feeHistory", "eth_getTransactionCount",
                     "eth_getCode", "eth_sendRawTransaction"})
TASK_ID = re.compile(r"^/progress/(0x[0-9a-fA-F]{64})$")
JOB_FIELDS = ("uid", "status", "replication", "replicates", "workers", "duration")
ORACLE_FIELDS = ("state", "job", "requested_block", "settled_block", "latency_blocks", "gas", "batch")


class FrontEnd:
    """The server on host:port, in a thread of its own until stop()."""

    def __init__(self, config: dict, node_url: str, *, oracle_url: str | None = None,
                 scheduler_url: str | None = None, host: str = "127.0.0.1", port: int = 0):
        self.config = config
        self.node_url, self.oracle_url, self.scheduler_url = node_url, oracle_url, scheduler_url
        self.files = {p.name: (p.read_bytes(), TYPES[p.suffix]) for p in PAGES.iterdir() if p.suffix in TYPES}
        self.http = requests.Session()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="frontend", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def own_hosts(self) -> set[str]:
        """The Host (and Origin without its scheme) of this server's own pages."""
        host, port = self.server.server_address[:2]
        return {f"{host}:{port}", f"127.0.0.1:{port}", f"localhost:{port}"}

    def start(self) -> "FrontEnd":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def serve_until_stopped(self) -> None:
        """Block until Ctrl-C or SIGTERM, then stop: the way a person ends a served page."""
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        try:
            while not stopping.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def relay(self, call) -> dict:
        """One JSON-RPC call to the node, if the page may make it."""
        if not isinstance(call, dict) or not isinstance(call.get("method"), str):
            return _rpc_error(None, -32600, "one JSON-RPC request object is expected")
        method, params, ident = call["method"], call.get("params") or [], call.get("id")
        dev = self.config.get("devAccount")
        if method in ("eth_accounts", "eth_requestAccounts"):
            return {"jsonrpc": "2.0", "id": ident, "result": [dev] if dev else []}
        if method == "eth_sendTransaction":
            sender = params[0].get("from", "") if params and isinstance(params[0], dict) else ""
            if not dev or not isinstance(sender, str) or sender.lower() != dev.lower():
                return _rpc_error(ident, 4100, "this node signs only for the page's dev account")
        elif method not in RELAYED:
            return _rpc_error(ident, -32601, f"method {method!r} is not relayed")
        body = {"jsonrpc": "2.0", "id": ident, "method": method, "params": params}
        return self.http.post(self.node_url, json=body, timeout=30).json()

    def progress(self, task_id: str) -> dict:
        """Where the task stands off chain: the oracle's state and its grid job (None where unknown)."""
        oracle = _get_json(self.http, f"{self.oracle_url}/tasks/{task_id}") if self.oracle_url else None
        oracle = {k: oracle.get(k) for k in ORACLE_FIELDS} if isinstance(oracle, dict) and "state" in oracle else None
        job = None
        if oracle and isinstance(oracle.get("job"), str) and self.scheduler_url and re.fullmatch(r"[0-9a-f-]{36}",
                                                                                                  oracle["job"]):
            found = _get_json(self.http, f"{self.scheduler_url}/api/v1/dashboard/jobs/{oracle['job']}")
            job = {k: found.get(k) for k in JOB_FIELDS} if isinstance(found, dict) and "status" in found else None
        return {"oracle": oracle, "job": job}


def _get_json(http: requests.Session, url: str):
    try:
        response = http.get(url, timeout=3)
        return response.json() if response.ok else None
    except (requests.RequestException, ValueError):
        return None


def _rpc_error(ident, code: int, message: str) -> dict:
    return {"jsonrpc": "2.0", "id": ident, "error": {"code": code, "message": message}}


def _handler(front: FrontEnd):
    class Handler(BaseHTTPRequestHandler):
        server_version = "cumulus-frontend"

        def do_GET(self):  # noqa: N802 (the standard library's name)
            path = self.path.split("?", 1)[0]
            if path == "/config.json":
                return self._send(200, json.dumps(front.config).encode(), "application/json")
            match = TASK_ID.match(path)
            if match:
                return self._send(200, json.dumps(front.progress(match.group(1).lower())).encode(), "application/json")
            name = "index.html" if path == "/" else path.lstrip("/")
            if name in front.files:  # only the page's own files: no path is ever joined
                body, content_type = front.files[name]
                return self._send(200, body, content_type)
            return self._send(404, b'{"detail": "not found"}', "application/json")

        def do_POST(self):  # noqa: N802
            if self.path != "/rpc":
                return self._send(404, b'{"detail": "not found"}', "application/json")
            # only this page may spend through the relay: another site's form or fetch either sends
            # another content type (no preflight) or its own Origin; this server answers no preflight
            if self.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
                return self._send(415, b'{"detail": "send JSON (Content-Type: application/json)"}',
                                  "application/json")
            hosts = front.own_hosts()  # a rebound DNS name is another site too
            origin = self.headers.get("Origin")
            if self.headers.get("Host") not in hosts or (origin is not None and origin.removeprefix("http://")
                                                         not in hosts):
                return self._send(403, b'{"detail": "another site may not use this relay"}', "application/json")
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                return self._send(411, b'{"detail": "a Content-Length is required"}', "application/json")
            if length > MAX_RPC_BYTES:
                return self._send(413, b'{"detail": "request too large"}', "application/json")
            try:
                answer = front.relay(json.loads(self.rfile.read(length) or b"null"))
            except ValueError:
                answer = _rpc_error(None, -32700, "the body is not JSON")
            except requests.RequestException as exc:
                log.warning("the node does not answer: %s", exc)
                answer = _rpc_error(None, -32603, "the node does not answer")
            return self._send(200, json.dumps(answer).encode(), "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            self.send_header("X-Content-Type-Options", "nosniff")
            if content_type.startswith("text/html"):
                self.send_header("Content-Security-Policy", POLICY)
                self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    return Handler
