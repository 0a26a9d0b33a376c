"""The key a command acts with: an encrypted keystore file (the standard Ethereum keystore JSON
that geth, eth-account and most wallets read) or the environment; never a raw key on the
command line, where it would stay in the shell's history and show in `ps`."""

from __future__ import annotations

import json
import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from .errors import SdkError

KEYSTORE_VARIABLE = "CUMULUS_KEYSTORE"
PASSWORD_VARIABLE = "CUMULUS_KEYSTORE_PASSWORD"
KEY_VARIABLE = "CUMULUS_PRIVATE_KEY"


def load_account(keystore: Path | None = None, password: str | None = None, ask_password=None) -> LocalAccount:
    """The account of `keystore` (or $CUMULUS_KEYSTORE), unlocked with `password`,
    $CUMULUS_KEYSTORE_PASSWORD or `ask_password()`; else the key in $CUMULUS_PRIVATE_KEY."""
    keystore = keystore or (Path(os.environ[KEYSTORE_VARIABLE]) if os.environ.get(KEYSTORE_VARIABLE) else None)
    if keystore is not None:
        return unlock(keystore, password or os.environ.get(PASSWORD_VARIABLE) or _ask(ask_password, keystore))
    key = os.environ.get(KEY_VARIABLE, "").strip()
    if not key:
        raise SdkError(f"no key: give --keystore FILE (or set ${KEYSTORE_VARIABLE}), or set ${KEY_VARIABLE}")
    try:
        return Account.from_key(key)
    except (ValueError, TypeError):
        raise SdkError(f"${KEY_VARIABLE} is not a private key (0x and 64 hex digits)") from None


def unlock(keystore: Path, password: str) -> LocalAccount:
    try:
        encrypted = json.loads(keystore.read_text())
    except OSError as exc:
        raise SdkError(f"cannot read keystore {keystore}: {exc.strerror}") from None
    except ValueError:
        raise SdkError(f"{keystore} is not a keystore file (JSON)") from None
    try:
        return Account.from_key(Account.decrypt(encrypted, password))
    except ValueError as exc:
        reason = "wrong password" if "MAC" in str(exc) else str(exc).splitlines()[0]
        raise SdkError(f"cannot unlock keystore {keystore}: {reason}") from None
    except (KeyError, TypeError):
        raise SdkError(f"{keystore} is not a keystore file (no crypto section)") from None


def create_keystore(path: Path, password: str) -> LocalAccount:
    """A new key, written encrypted to `path` (readable by its owner only), never over a file."""
    if not password:
        raise SdkError("a keystore needs a non-empty password")
    account = Account.create()
    encrypted = Account.encrypt(account.key, password)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SdkError(f"{path} already exists: a keystore is never overwritten") from None
    except OSError as exc:
        raise SdkError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as handle:
        json.dump(encrypted, handle)
    return account


def _ask(ask_password, keystore: Path) -> str:
    if ask_password is None:
        raise SdkError(f"keystore {keystore} needs its password: set ${PASSWORD_VARIABLE}")
    return ask_password(keystore)
