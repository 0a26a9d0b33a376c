"""Database tables and API shapes, in sqlmodel families (Base -> Create -> table -> Public)."""

from __future__ import annotations

import time
import uuid
from typing import Annotated

from pydantic import StringConstraints, conlist
from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
Bytes32Hex = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$")]
SignatureHex = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{130}$")]
CallbackHex = Annotated[str, StringConstraints(pattern=r"^0x([0-9a-fA-F]{2}){0,1024}$")]
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(pattern=NO_NUL)]  # what a client sends: no NUL (PostgreSQL refuses it)


# Replicates a job may lose to workers that vanish (crash, reboot, blacklisting) before it gives up:
# generous, since a lost replicate says nothing about the job, yet bounded, since a job that
# crashes every machine it lands on must stop some day (BOINC's max_total_results plays this part).
DEFAULT_MAX_LOST = 20


def new_uid() -> str:
    return str(uuid.uuid4())


def now() -> float:
    return time.time()


# ---------------------------------------------------------------- users


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True)
    name: str = Field(unique=True, index=True, max_length=64)
    is_admin: bool = False
    token_hash: str = Field(unique=True, index=True)  # sha256 of the API token, never the token
    address: str | None = Field(default=None, unique=True, index=True)  # Ethereum address it proved it holds


class UserPublic(SQLModel):
    uid: str
    name: str
    is_admin: bool
    address: str | None = None


class AddressProof(SQLModel):
    """An existing account binding the Ethereum address it holds (PUT /users/me/address)."""

    address: Address
    nonce: str = Field(min_length=8, max_length=128)
    signature: SignatureHex  # over the challenge's message, EIP-191


class AddressPublic(SQLModel):
    address: str


# ---------------------------------------------------------------- apps

class AppBase(SQLModel):
    name: str = Field(max_length=128, index=True, unique=True)
    type: str = "DEPLOYABLE"  # DEPLOYABLE travels to workers; SHARED is provided by them
    arch: str | None = None  # normalized, e.g. x86_64; None for shared apps
    os: str | None = None  # normalized, e.g. linux; None for shared apps
    uri: str | None = None  # where workers fetch it: our blob store or an external URI
    checksum: str | None = None  # sha256 hex of the file, 64 chars, no 0x
    access: str = "public"  # public apps may be used by every user
    image: str | None = None  # Docker image for Docker shared apps
    network: bool = False  # its jobs may use the network (otherwise they run without any)


class App(AppBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    size: int | None = None
    created_at: float = Field(default_factory=now)


class AppPublic(AppBase):
    uid: str
    owner: str
    owner_address: str | None = None  # the Ethereum address its owner proved, if any
    size: int | None
    created_at: float


# ---------------------------------------------------------------- data


class DataBase(SQLModel):
    name: str = Field(max_length=255)
    checksum: str | None = Field(default=None, index=True)  # sha256 hex; required for uploads
    size: int | None = None
    uri: str | None = None
    access: str = "private"


class Data(DataBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    created_at: float = Field(default_factory=now)


class DataPublic(DataBase):
    uid: str
    owner: str
    owner_address: str | None = None  # the Ethereum address its owner proved, if any
    created_at: float


# ---------------------------------------------------------------- jobs


class OnChain(SQLModel):
    chain_id: int = Field(ge=0)
    hub: Address
    task_id: Bytes32Hex


class JobCreate(SQLModel):
    app: Text = Field(min_length=1, max_length=128)
    args: conlist(Text, max_length=1000) = Field(default_factory=list)
    stdin: Text | None = Field(default=None, max_length=1_000_000)
    data: conlist(Text, max_length=100) = Field(default_factory=list)
    replication: int = Field(default=1, ge=1, le=32)
    max_wall_seconds: int = Field(default=3600, ge=1, le=7 * 24 * 3600)
    max_retries: int = Field(default=3, ge=0, le=100)  # replacements after the app failed or disagreed
    max_lost: int = Field(default=DEFAULT_MAX_LOST, ge=0, le=1000)  # replacements after a worker vanished
    deadline: float | None = None
    external_id: Text | None = Field(default=None, min_length=1, max_length=200)
    onchain: OnChain | None = None


class JobBatchCreate(SQLModel):
    jobs: conlist(JobCreate, min_length=1, max_length=10_000)


class JobRef(SQLModel):
    """What the batch endpoint answers per job: enough to follow it, cheap to produce."""

    uid: str
    external_id: str | None
    status: str
    created: bool  # False when the external id was already known


class Job(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("owner_id", "external_id"), Index("ix_job_status_id", "status", "id"))
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    app_id: int | None = Field(default=None, foreign_key="app.id", index=True)  # None once the app is removed
    app_name: str = ""  # kept so finished jobs still say what they ran
    args: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stdin: str | None = None
    data_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    data_checksums: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    replication: int = 1
    max_wall_seconds: int = 3600
    max_retries: int = 3
    retries_used: int = 0  # replicates added after failures and disagreements
    max_lost: int = DEFAULT_MAX_LOST
    lost_used: int = 0  # replicates added after others were lost with their workers
    deadline: float | None = None
    external_id: str | None = None
    onchain: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    status: str = Field(default="PENDING")
    error: str | None = None
    result_digest: str | None = None  # 0x-hex of the winning archive's sha256
    callback_data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    callback_data_hash: str | None = None
    created_at: float = Field(default_factory=now)
    completed_at: float | None = Field(default=None, index=True)  # the dashboard counts recent ones


class SignaturePublic(SQLModel):
    worker: str
    signature: str


class DissentPublic(SQLModel):
    worker: str
    result_digest: str
    callback_data_hash: str
    signature: str


class ResultPublic(SQLModel):
    result_digest: str
    callback_data: str
    callback_data_hash: str
    signatures: list[SignaturePublic]
    dissents: list[DissentPublic]


class JobPublic(SQLModel):
    uid: str
    app: str
    owner: str
    args: list[str]
    data: list[str]
    status: str
    error: str | None
    replication: int
    max_wall_seconds: int
    max_retries: int
    retries_used: int
    max_lost: int
    lost_used: int
    deadline: float | None
    external_id: str | None
    onchain: dict | None
    created_at: float
    completed_at: float | None
    result: ResultPublic | None
    waiting: str | None = None  # while PENDING: why no connected worker can run it (None when one can)


class JobLookup(SQLModel):
    """`POST /jobs/lookup`: your jobs with these external ids, in one request."""

    external_ids: conlist(Annotated[Text, Field(min_length=1, max_length=200)], min_length=1, max_length=10_000)


class ResultOutcome(SQLModel):
    """One distinct result of a job as the app left it, read from the head of its archive."""

    result_digest: str  # 0x-hex sha256 of the result archive
    exit_code: int | None  # None when the archive is no longer stored
    stderr: str  # its first bytes (at most 200), decoded


class JobProgress(SQLModel):
    """A job as a follower of many jobs needs it: where it stands, how its votes stand, and once
    it completed, the agreed result with its signatures (`POST /jobs/lookup`)."""

    uid: str
    external_id: str | None
    status: str
    error: str | None
    replication: int
    votes: int  # signed results received, outvoted ones included
    agreeing: int  # the largest number of them that are identical
    # each distinct result's exit code, once the job completed or its votes disagree (votes >=
    # replication > agreeing): enough to tell an app that fails everywhere from one that cannot agree
    outcomes: list[ResultOutcome]
    result: ResultPublic | None  # COMPLETED: the agreed result, its signatures and the dissents


# ---------------------------------------------------------------- workers and replicates


class Worker(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True)
    address: str = Field(unique=True, index=True)  # checksummed Ethereum address
    session_hash: str | None = Field(default=None, index=True)  # sha256 of the session token
    arch: str = ""
    os: str = ""
    shared_apps: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    slots: int = 1
    hostname: str = ""
    last_alive: float = Field(default_factory=now)
    status: str = "ALIVE"  # ALIVE or LOST
    blacklisted: bool = False
    blacklist_reason: str | None = None
    consecutive_failures: int = 0
    completed: int = 0  # results that agreed with a quorum


class WorkerPublic(SQLModel):
    uid: str
    address: str
    arch: str
    os: str
    shared_apps: list[str]
    slots: int
    hostname: str
    last_alive: float
    status: str
    blacklisted: bool
    blacklist_reason: str | None
    consecutive_failures: int
    completed: int


class Challenge(SQLModel, table=True):
    """A one-time nonce a worker signs to prove its key."""

    id: int | None = Field(default=None, primary_key=True)
    nonce: str = Field(unique=True, index=True)
    address: str
    expires_at: float


class Replicate(SQLModel, table=True):
    __table_args__ = (Index("ix_replicate_status_id", "status", "id"), Index("ix_replicate_job_worker", "job_id", "worker_id"),
                      # pulls serve the oldest job first, so a replacement does not wait behind every newer job
                      Index("ix_replicate_status_job", "status", "job_id", "id"))
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(default_factory=new_uid, unique=True, index=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    worker_id: int | None = Field(default=None, foreign_key="worker.id", index=True)
    status: str = "PENDING"
    lease_expires: float | None = Field(default=None, index=True)
    result_digest: str | None = None  # 0x-hex sha256 of its result archive, once reported
    callback_data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    callback_data_hash: str | None = None
    signature: str | None = None
    error: str | None = None
    created_at: float = Field(default_factory=now)
    finished_at: float | None = None


class ReplicatePublic(SQLModel):
    uid: str
    status: str
    worker: str | None  # address of the worker that held it
    result_digest: str | None
    callback_data_hash: str | None
    signature: str | None
    error: str | None
    created_at: float
    finished_at: float | None


# ---------------------------------------------------------------- worker protocol shapes


class ChallengeRequest(SQLModel):
    address: Address


class SignupRequest(SQLModel):
    address: Address
    nonce: str = Field(min_length=8, max_length=128)
    signature: SignatureHex


class RegisterRequest(SQLModel):
    address: Address
    nonce: Text = Field(min_length=8, max_length=128)
    signature: SignatureHex
    arch: Text = Field(min_length=1, max_length=32)
    os: Text = Field(min_length=1, max_length=32)
    shared_apps: conlist(Annotated[Text, Field(max_length=128)], max_length=100) = Field(default_factory=list)
    slots: int = Field(default=1, ge=1, le=1024)
    hostname: Text = Field(default="", max_length=255)
    # Replicates this process still holds; the worker's other leases are released at once
    # (a restarted worker holds none). None: not said, leases run out on their own.
    holding: conlist(Annotated[Text, Field(max_length=64)], max_length=100_000) | None = None


class AliveRequest(SQLModel):
    holding: conlist(Annotated[Text, Field(max_length=64)], max_length=100_000) = Field(default_factory=list)  # uids held


class PullRequest(SQLModel):
    max_jobs: int = Field(default=1, ge=1, le=1000)
    cached: conlist(Annotated[Text, Field(max_length=66)], max_length=10_000) = Field(default_factory=list)  # cached sha256s


class ResultUpload(SQLModel):
    replicate: Text = Field(max_length=64)
    result_digest: Bytes32Hex
    callback_data: CallbackHex = "0x"
    signature: SignatureHex
    archive: Text = Field(max_length=128)  # the name of the report's file part holding the result archive


class FailureReport(SQLModel):
    replicate: Text = Field(max_length=64)
    reason: Text = Field(max_length=2000)


class ReportBatch(SQLModel):
    results: conlist(ResultUpload, max_length=1000) = Field(default_factory=list)
    failures: conlist(FailureReport, max_length=1000) = Field(default_factory=list)
    # Replicates the worker gives back unfinished (its owner needed the machine): another worker
    # takes them; they draw on the job's max_lost budget, not on max_retries.
    returns: conlist(FailureReport, max_length=1000) = Field(default_factory=list)
    # More work asked in the same round trip: the answer then carries `assignments` as a pull's does.
    pull: PullRequest | None = None
