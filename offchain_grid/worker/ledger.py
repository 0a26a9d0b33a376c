"""The worker's memory of what it signed for each on-chain task, so that it never signs two
different results for one task: that pair of signatures is the proof that costs a worker its
whole stake, and a hostile scheduler could otherwise obtain it by sending the same task twice
with different inputs. Kept in a SQLite file in the worker's directory, across restarts."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from ..contribution import callback_data_hash


class SignedResults:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS signed (domain TEXT NOT NULL, task_id TEXT NOT NULL, "
                         "result TEXT NOT NULL, PRIMARY KEY (domain, task_id))")
        self._lock = threading.Lock()

    def may_sign(self, assignment: dict, result: dict) -> bool:
        """True (and remembered) unless another result was signed for this on-chain task before.
        Plain grid jobs (chain id 0) stake nothing and are not recorded."""
        domain = assignment["domain"]
        if not domain.get("chain_id"):
            return True
        key = f"{domain['name']}/{domain['version']}/{domain['chain_id']}/{domain['verifying_contract'].lower()}"
        callback = bytes.fromhex(result["callback_data"].removeprefix("0x"))
        signed = f"{result['result_digest'].lower()}/0x{callback_data_hash(callback).hex()}"
        task_id = assignment["task_id"].lower()
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO signed VALUES (?, ?, ?)", (key, task_id, signed))
            (first,) = self._db.execute("SELECT result FROM signed WHERE domain = ? AND task_id = ?",
                                        (key, task_id)).fetchone()
        return first == signed

    def close(self) -> None:
        self._db.close()
