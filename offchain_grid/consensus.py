"""Quorum counting over replicate results: pure, so it can be tested without a database.

A vote is the pair (result digest, callback data hash): replicates that agree on the
archive but not on the callback data do not agree, since both are signed and go on chain.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Vote:
    replicate_id: int  # which replicate reported
    worker: str  # checksummed address of its worker
    result_digest: str  # 0x-hex sha256 of the result archive
    callback_hash: str  # 0x-hex keccak256 of the callback data


@dataclass(frozen=True)
class Tally:
    winner: tuple[str, str] | None  # (result digest, callback hash) that reached the quorum, if any
    agreeing: list[Vote] = field(default_factory=list)  # votes for the winner
    dissenting: list[Vote] = field(default_factory=list)  # votes outvoted by the winner
    best_count: int = 0  # size of the largest group, winner or not


def tally(votes: list[Vote], replication: int) -> Tally:
    """Group votes by (result digest, callback hash); a group of `replication` votes wins."""
    groups: dict[tuple[str, str], list[Vote]] = defaultdict(list)
    for vote in votes:
        groups[(vote.result_digest, vote.callback_hash)].append(vote)
    if not groups:
        return Tally(None)
    # Ties cannot both reach the quorum unless replication is 1, where the first vote wins.
    key, best = max(groups.items(), key=lambda item: (len(item[1]), -min(v.replicate_id for v in item[1])))
    if len(best) >= replication:
        dissent = [v for k, group in groups.items() if k != key for v in group]
        return Tally(key, sorted(best, key=lambda v: v.replicate_id), dissent, len(best))
    return Tally(None, best_count=len(best))


def replacements_needed(replication: int, best_count: int, active: int) -> int:
    """Replicates to add so the largest group could still reach the quorum if all new ones agree."""
    return max(0, replication - best_count - active)
