"""Worker side of the scheduler protocol, with retries so a scheduler restart is ridden out."""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import threading
import time

import requests
from eth_account import Account
from eth_account.messages import encode_defunct

from ..platform import host_arch, host_os

log = logging.getLogger("xw.worker")
API = "/api/v1/worker"


class SchedulerRefused(Exception):
    """The scheduler answered with an error that retrying will not fix."""


class WorkerClient:
    def __init__(self, base_url: str, account, *, shared_apps: list[str], slots: int, stop: threading.Event,
                 max_backoff: float = 5.0, holding=None):
        # Several schedulers on one database may share the work: "URL,URL" spreads requests over them
        # in turn, and a request one cannot answer goes to the next.
        self.bases = [url.strip().rstrip("/") for url in base_url.split(",") if url.strip()]
        self.base = self.bases[0]
        self._turn = itertools.count()
        self.account = account
        self.shared_apps, self.slots = shared_apps, slots
        self.stop = stop
        self.max_backoff = max_backoff
        self.http = requests.Session()
        # Read proxy and CA settings from the environment once, not on every request (it showed in profiles).
        self.http.proxies = requests.utils.get_environ_proxies(self.base)
        self.http.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self.http.trust_env = False
        self.holding = holding or list  # () -> replicate uids this process holds, told at each login
        self.token: str | None = None
        self.alive_interval = 10.0
        self._login_lock = threading.Lock()

    def login(self) -> dict:
        """Challenge, sign it with the worker key, get a session token."""
        with self._login_lock:
            nonce = self._call("POST", "/challenge", json={"address": self.account.address}, auth=False)["nonce"]
            message = encode_defunct(text=f"cumulus worker login: {nonce}")
            signature = "0x" + bytes(Account.sign_message(message, self.account.key).signature).hex()
            session = self._call("POST", "/register", auth=False, json={
                "address": self.account.address, "nonce": nonce, "signature": signature, "arch": host_arch(),
                "os": host_os(), "shared_apps": self.shared_apps, "slots": self.slots, "hostname": socket.gethostname(),
                "holding": list(self.holding())})
            self.token = session["token"]
            self.alive_interval = session["alive_interval"]
            return session

    def alive(self, holding: list[str]) -> dict:
        return self._call("POST", "/alive", json={"holding": holding})

    def pull(self, max_jobs: int, cached: list[str]) -> dict:
        return self._call("POST", "/pull", json={"max_jobs": max_jobs, "cached": cached})

    def report(self, results: list[dict], failures: list[dict], returns: list[dict] = (),
               pull: tuple[int, list[str]] | None = None) -> dict:
        """Results (each with its archive as bytes), failures and replicates given back in one multipart
        request: the batch as JSON, each archive as a file part the scheduler streams to disk. With
        `pull` (how many jobs, cached checksums) the answer also carries the next assignments."""
        parts = [f"a{i}" for i in range(len(results))]
        batch = {"results": [{**r, "archive": part} for r, part in zip(results, parts)], "failures": failures}
        if returns:
            batch["returns"] = list(returns)
        if pull:
            batch["pull"] = {"max_jobs": pull[0], "cached": pull[1]}
        files = [("report", (None, json.dumps(batch), "application/json"))]
        files += [(part, (f"{r['replicate']}.tar", r["archive"], "application/x-tar")) for r, part in zip(results, parts)]
        return self._call("POST", "/reports", files=files)

    def open_stream(self, path: str, timeout) -> requests.Response:
        """A long-lived streaming GET (the event stream); the caller closes it."""
        return self._request("GET", path, stream=True, timeout=timeout)

    def blob_chunks(self, checksum: str):
        response = self._request("GET", f"/blobs/{checksum}", stream=True)
        try:
            yield from response.iter_content(1 << 20)
        finally:
            response.close()

    def _call(self, method: str, path: str, auth: bool = True, **kwargs) -> dict:
        return self._request(method, path, auth=auth, **kwargs).json()

    def _request(self, method: str, path: str, auth: bool = True, **kwargs) -> requests.Response:
        """Retry with backoff while the scheduler is unreachable or restarting; log in again on 401."""
        delay, failures = 0.2, 0
        while True:
            headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
            base = self.bases[next(self._turn) % len(self.bases)]
            try:
                response = self.http.request(method, base + API + path, headers=headers,
                                             **{"timeout": 60, **kwargs})
            except requests.ConnectionError:
                response = None
            except requests.Timeout:
                response = None
            if response is not None and response.status_code < 500:
                if response.status_code == 401 and auth:
                    log.info("session refused; logging in again")
                    self.login()
                    continue
                if response.status_code >= 400:
                    raise SchedulerRefused(f"{method} {path}: {response.status_code} {_detail(response)}")
                return response
            if self.stop.is_set():
                raise SchedulerRefused("stopping")
            failures += 1
            what = "unreachable" if response is None else f"answered {response.status_code}"
            if failures % len(self.bases):  # another scheduler may answer at once
                log.warning("scheduler %s at %s; trying the next one", what, base)
                continue
            log.warning("scheduler %s at %s; retrying in %.1fs", what, base, delay)
            time.sleep(delay)
            delay = min(self.max_backoff, delay * 2)


def _detail(response: requests.Response) -> str:
    try:
        return str(response.json().get("detail"))
    except ValueError:
        return response.text[:200]
