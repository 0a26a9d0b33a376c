"""What anyone may read about the grid, on its public dashboard: shapes that hold no job's owner,
arguments, input, output or external id, and no private app's name."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from .models import Address, Bytes32Hex

PRIVATE_APP = "(private app)"  # what a job of a private app shows instead of the app's name


class PublicWorker(SQLModel):
    address: str  # the worker's Ethereum address (public on chain when it stakes)
    arch: str
    os: str
    slots: int
    shared_apps: list[str]
    status: str  # ALIVE or LOST
    last_alive: float
    completed: int  # results that agreed with a quorum
    blacklisted: bool
    blacklist_reason: str | None


class PublicJob(SQLModel):
    uid: str
    app: str  # the app's name, or PRIVATE_APP
    status: str
    replication: int  # agreeing results needed
    replicates: dict[str, int]  # replicate status -> how many
    workers: int  # distinct workers computing it or holding a vote for it now
    created_at: float
    completed_at: float | None
    duration: float  # seconds from submission to its end, or until now
    task_id: str | None  # the on-chain task it serves (public on chain anyway)


class PublicApp(SQLModel):
    name: str
    type: str
    arch: str | None
    os: str | None
    docker: bool  # a Docker image
    owner_address: str | None  # the Ethereum address its owner proved
    queued: int  # its jobs not finished yet
    created_at: float


class MinuteCount(SQLModel):
    start: float  # unix seconds, the minute's first second
    completed: int
    failed: int  # ended in ERROR


class GridSnapshot(SQLModel):
    generated_at: float
    workers: list[PublicWorker]  # alive ones first, at most MAX_WORKERS
    workers_by_status: dict[str, int]
    slots_alive: int
    jobs_by_status: dict[str, int]
    oldest_pending_age: float | None  # seconds the oldest pending job has waited
    throughput: list[MinuteCount]  # the last minutes, oldest first
    recent_jobs: list[PublicJob]
    apps: list[PublicApp]  # public apps only
    private_apps: int


# ------------------------------------------------------------------ an oracle beside the grid


class OracleTask(SQLModel):
    task_id: Bytes32Hex
    state: str = Field(max_length=32)
    trust: int = Field(ge=0, le=255)
    requested_block: int = Field(ge=0)
    settled_block: int | None = Field(default=None, ge=0)  # block of the settling transaction
    latency_blocks: int | None = Field(default=None, ge=0)
    gas: int | None = Field(default=None, ge=0)  # gas of the oracle's settling transaction
    batch: int | None = Field(default=None, ge=1)  # tasks that transaction settled (they share its gas)
    job: str | None = Field(default=None, max_length=64)  # the grid job's uid
    age: float = Field(ge=0)  # seconds since the oracle saw it


class OracleStatus(SQLModel):
    """An oracle's `/status`, as the dashboard relays it: only these fields, validated."""

    chain_id: int = Field(ge=0)
    hub: Address
    pool: int = Field(ge=0)
    head_block: int | None = Field(default=None, ge=0)
    cursor_block: int | None = Field(default=None, ge=0)
    blocks_behind: int | None = Field(default=None, ge=0)
    requested: int = Field(ge=0)  # every task of the pool it saw
    in_flight: int = Field(ge=0)
    finalized: int = Field(ge=0)
    refunded: int = Field(ge=0)  # failure reported or claimed after the deadline
    by_state: dict[str, int]
    gas_spent: int = Field(ge=0)  # by its own transactions
    rlc_earned: float = Field(ge=0)  # by the pool (its owner's fee and the workers' pay) on finalized tasks
    latency_blocks_p50: float | None = None
    recent: list[OracleTask] = Field(max_length=100)


class OracleView(SQLModel):
    configured: bool  # the scheduler was told an oracle's status URL
    reachable: bool
    error: str | None = None
    status: OracleStatus | None = None


class Dashboard(GridSnapshot):
    oracle: OracleView
