"""User side of the scheduler API, for the `xw` verbs, scripts and the benchmark."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from eth_account import Account
from eth_account.messages import encode_defunct

from .errors import GridError
from .security import ADDRESS_PROOF, USER_SIGNUP, challenge_message

API = "/api/v1"


class ClientError(GridError):
    """The scheduler refused a request, or could not be reached; the message says which."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # HTTP status, None when the scheduler did not answer


class GridClient:
    def __init__(self, server: str, token: str | None, timeout: float = 60.0):
        self.server = server.rstrip("/")
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            response = self.http.request(method, self.server + API + path, timeout=self.timeout, **kwargs)
        except requests.ConnectionError:
            raise ClientError(f"cannot reach the scheduler at {self.server}") from None
        except requests.Timeout:
            raise ClientError(f"the scheduler at {self.server} did not answer in {self.timeout:.0f}s") from None
        if response.status_code >= 400:
            raise ClientError(f"{response.status_code}: {_detail(response)}", response.status_code)
        return response

    def get(self, path: str, **params):
        return self.request("GET", path, params=params or None).json()

    def post(self, path: str, body: dict | None = None):
        return self.request("POST", path, json=body).json()

    # accounts
    def sign_up(self, account) -> dict:
        """The user account of `account`'s address, by signing the scheduler's challenge; returns
        it with a new API token. The signed text is built here from the nonce, never taken from
        the server, so a scheduler cannot have some other text signed."""
        nonce = self.post("/users/challenge", {"address": account.address})["nonce"]
        if not re.fullmatch(r"[0-9a-f]{8,128}", nonce):
            raise ClientError(f"the scheduler sent a malformed challenge nonce: {nonce[:80]!r}")
        message = encode_defunct(text=challenge_message(nonce, USER_SIGNUP))
        signature = "0x" + bytes(Account.sign_message(message, account.key).signature).hex()
        return self.post("/users/signup", {"address": account.address, "nonce": nonce, "signature": signature})

    def prove_address(self, account) -> dict:
        """Binds this (existing) account to `account`'s address by signing the scheduler's
        challenge: the address becomes the owner address of the account's apps and data. The
        signed text is built here from the nonce, never taken from the server."""
        nonce = self.post("/users/me/address/challenge", {"address": account.address})["nonce"]
        if not re.fullmatch(r"[0-9a-f]{8,128}", nonce):
            raise ClientError(f"the scheduler sent a malformed challenge nonce: {nonce[:80]!r}")
        message = encode_defunct(text=challenge_message(nonce, ADDRESS_PROOF))
        signature = "0x" + bytes(Account.sign_message(message, account.key).signature).hex()
        return self.request("PUT", "/users/me/address",
                            json={"address": account.address, "nonce": nonce, "signature": signature}).json()

    # apps
    def send_app(self, name: str, arch: str, os_name: str, source: str, checksum: str | None = None,
                 access: str = "public", network: bool = False) -> dict:
        form = {"name": name, "type": "DEPLOYABLE", "arch": arch, "os": os_name, "access": access,
                "network": str(network).lower()}
        if checksum:
            form["checksum"] = checksum
        if "://" in source:
            return self.request("POST", "/apps", data={**form, "uri": source}).json()
        with open(source, "rb") as handle:
            return self.request("POST", "/apps", data=form, files={"file": (Path(source).name, handle)}).json()

    def add_docker(self, name: str, image: str, *, image_id: str | None = None, tarball: str | Path | None = None,
                   access: str = "public", network: bool = False) -> dict:
        """A Docker app pinned by `image_id` (sha256:<hex> or hex), or by the image of a `docker save` tarball."""
        form = {"name": name, "type": "SHARED", "image": image, "access": access, "network": str(network).lower()}
        if image_id:
            form["checksum"] = image_id.removeprefix("sha256:")
        if tarball is None:
            return self.request("POST", "/apps", data=form).json()
        with open(tarball, "rb") as handle:
            return self.request("POST", "/apps", data=form, files={"file": ("image.tar", handle)}).json()

    def add_shared(self, name: str, access: str = "public") -> dict:
        return self.request("POST", "/apps", data={"name": name, "type": "SHARED", "access": access}).json()

    # data
    def send_data(self, source: str, name: str | None = None, checksum: str | None = None,
                  access: str = "private") -> dict:
        form = {"name": name or Path(source.split("://")[-1]).name, "access": access}
        if checksum:
            form["checksum"] = checksum
        if "://" in source:
            return self.request("POST", "/datas", data={**form, "uri": source}).json()
        with open(source, "rb") as handle:
            return self.request("POST", "/datas", data=form, files={"file": (form["name"], handle)}).json()

    # jobs
    def submit(self, app: str, args: list[str] | None = None, **fields) -> dict:
        return self.post("/jobs", {"app": app, "args": list(args or []), **fields})

    def submit_batch(self, jobs: list[dict]) -> list[dict]:
        return self.post("/jobs/batch", {"jobs": jobs})

    def job(self, uid: str) -> dict:
        return self.get(f"/jobs/{uid}")

    def lookup(self, external_ids: list[str], chunk: int = 10_000) -> list[dict]:
        """Your jobs with these external ids (JobProgress views), a request per `chunk` ids;
        ids you never used are absent from the answer."""
        found: list[dict] = []
        for start in range(0, len(external_ids), chunk):
            found += self.post("/jobs/lookup", {"external_ids": list(external_ids[start:start + chunk])})
        return found

    def result_archive(self, uid: str) -> bytes:
        return self.request("GET", f"/jobs/{uid}/result").content

    def result_head(self, uid: str, size: int = 1024) -> bytes:
        """The first bytes of a job's result archive (a range request: the archive may be large)."""
        return self.request("GET", f"/jobs/{uid}/result", headers={"Range": f"bytes=0-{size - 1}"}).content[:size]


def _detail(response: requests.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text.strip()[:300] or response.reason
    if isinstance(detail, list):
        return "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    return str(detail)
