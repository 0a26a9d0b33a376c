"""Where a reorg forked (oracle.forks), decided from remembered hashes and a node's answers: the
edge cases in milliseconds, the node played by a dict."""

from oracle.forks import FAN, Ask, as_remembered, find_fork, locate_fork, prefix
from oracle.listener import UNKNOWN


def chain(blocks: range, salt: str = "a") -> dict[int, str]:
    return {n: "0x" + f"{salt}{n:063x}"[-64:] for n in blocks}


def forked(old: dict[int, str], after: int) -> dict[int, str]:
    """The node's chain: the same blocks up to `after`, others above it."""
    return {n: h if n <= after else "0x" + "f" * 8 + h[10:] for n, h in old.items()}


def trace(first: int, last: int, seen: dict[int, str], node: dict[int, str], known=None) -> tuple[int | None, int]:
    """Runs the search as the listener does: (the fork, the rounds of node reads it took)."""
    remembered, canonical, rounds = dict(known or {}), {n: node.get(n) for n in known or {}}, 0
    while isinstance(step := locate_fork(first, last, remembered, canonical), Ask):
        assert step.numbers and len(step.numbers) <= FAN
        assert all(first <= n <= last for n in step.numbers)
        remembered |= {n: seen[n] for n in step.numbers}
        canonical |= {n: node.get(n) for n in step.numbers}
        rounds += 1
    return step, rounds


def test_no_fork_when_every_remembered_hash_is_still_canonical():
    remembered = {10: "a", 11: "b", 12: "c"}
    assert find_fork(remembered, dict(remembered)) is None


def test_fork_is_the_highest_block_still_canonical():
    remembered = {10: "a", 11: "b", 12: "c", 13: "d"}
    assert find_fork(remembered, {10: "a", 11: "b", 12: "x", 13: "y"}) == 11


def test_shorter_chain_counts_as_a_reorg():
    remembered = {10: "a", 11: "b", 12: "c"}
    assert find_fork(remembered, {10: "a", 11: "b", 12: None}) == 11


def test_fork_below_the_window_is_reported_as_below_it():
    remembered = {10: "a", 11: "b"}
    assert find_fork(remembered, {10: "x", 11: "y"}) == 9


def test_an_unchanged_newest_block_means_no_reorg_and_is_asked_first():
    old = chain(range(100, 200))
    assert locate_fork(100, 199, {}, {}) == Ask((199,))
    assert trace(100, 199, old, old) == (None, 1)


def test_every_fork_depth_is_found_exactly_in_few_rounds():
    old = chain(range(1_000, 1_700))
    for after in range(999, 1_699):
        fork, rounds = trace(1_000, 1_699, old, forked(old, after))
        assert fork == after
        assert rounds <= 3  # 700 blocks: 1 + 64 + 64**2 covers it


def test_prefixes_compare_with_full_hashes():
    old = chain(range(50, 90))
    kept = {n: as_remembered(prefix(h)) for n, h in old.items()}
    assert all(len(v) == 2 + 16 for v in kept.values())
    assert trace(50, 89, kept, forked(old, 71)) == (71, 2)


def test_a_fork_exactly_at_the_window_edge_takes_one_round():
    """The window (full hashes of 600..699) is all replaced and 599 is the last unchanged block:
    the first blocks asked below the window include the one just under it."""
    old = chain(range(0, 700))
    node = forked(old, 599)
    window = {n: old[n] for n in range(600, 700)}
    assert find_fork(window, {n: node[n] for n in window}) == 599  # "below the window": not yet exact
    fork, rounds = trace(0, 600, old, node, known={600: old[600]})
    assert (fork, rounds) == (599, 1)


def test_a_fork_just_inside_the_window_is_exact_from_the_window_alone():
    old = chain(range(600, 700))
    assert find_fork(old, forked(old, 600)) == 600


class LongChain:
    """Two million blocks' hashes, computed when read; above `after`, another chain's."""

    def __init__(self, after: int = 2**40):
        self.after = after

    def get(self, n: int) -> str:
        return "0x" + f"{'a' if n <= self.after else 'f'}{n:063x}"

    __getitem__ = get


def test_a_deep_fork_in_a_long_history_takes_a_few_batches():
    fork, rounds = trace(0, 1_999_999, LongChain(), LongChain(after=123_457))
    assert fork == 123_457 and rounds <= 5


def test_a_fork_below_every_remembered_block_is_the_block_before_them():
    old = chain(range(300, 400))
    assert trace(300, 399, old, forked(old, 12)) == (299, 2)


def test_a_node_behind_the_remembered_blocks_counts_them_as_replaced():
    old = chain(range(300, 400))
    node = {n: h for n, h in old.items() if n <= 350}  # no block above 350 on the node: None
    assert trace(300, 399, old, node)[0] == 350


def test_a_block_missing_from_the_prefixes_makes_the_replay_start_lower_never_higher():
    old = chain(range(0, 130))
    seen = dict(old) | {n: UNKNOWN for n in range(60, 70)}
    fork, _rounds = trace(0, 129, seen, forked(old, 100))
    assert fork < 100 and fork < 60  # everything from the lost blocks up is read again


# -- the listener's record of the prefixes, on a real SQLite file ------------------------------------

def stored_listener(tmp_path, window: int = 8, horizon: int = 10_000):
    """A listener over a real database, for its storage alone (commit reads nothing from the chain)."""
    from oracle.db import make_engine
    from oracle.listener import EventListener

    listener = EventListener.__new__(EventListener)
    listener.engine = make_engine(f"sqlite:///{tmp_path / 'oracle.db'}")
    listener.key, listener.start_block, listener.window, listener.horizon = "1:0xhub:1", 100, window, horizon
    return listener


def commit(listener, hashes: dict[int, str], fork: int | None = None) -> None:
    from sqlmodel import Session

    from oracle.listener import Batch

    with Session(listener.engine) as session:
        listener.commit(session, Batch([], fork, max(hashes) if hashes else fork, hashes))
        session.commit()


def test_prefixes_of_every_block_are_kept_across_rows_and_cut_at_a_fork(tmp_path):
    from oracle.listener import RUN

    listener = stored_listener(tmp_path)
    old = chain(range(100, 100 + 2 * RUN + 50))
    numbers = sorted(old)
    for start in range(0, len(numbers), 700):  # batches across the rows' boundaries
        commit(listener, {n: old[n] for n in numbers[start:start + 700]})
    assert listener._oldest_prefix() == 100
    probe = [100, RUN - 1, RUN, 2 * RUN + 149]
    assert listener._prefixes(probe) == {n: as_remembered(prefix(old[n])) for n in probe}

    new = forked(old, RUN + 3)  # a fork inside the second row: what is above it is forgotten, then refilled
    commit(listener, {n: new[n] for n in range(RUN + 4, RUN + 10)}, fork=RUN + 3)
    kept = listener._prefixes(range(RUN, RUN + 12))
    assert kept == {n: as_remembered(prefix(new[n])) for n in range(RUN, RUN + 10)}
    assert listener._prefixes([2 * RUN + 1]) == {}


def test_a_gap_in_the_blocks_starts_the_prefixes_afresh(tmp_path):
    listener = stored_listener(tmp_path)
    old = chain(range(100, 400))
    commit(listener, {n: old[n] for n in range(100, 200)})
    commit(listener, {n: old[n] for n in range(250, 300)})  # blocks 200..249 never kept
    assert listener._oldest_prefix() == 250  # only gap-free history is searched
    assert listener._prefixes([150, 260]) == {260: as_remembered(prefix(old[260]))}


def test_prefixes_older_than_the_horizon_are_dropped(tmp_path):
    from oracle.listener import RUN

    listener = stored_listener(tmp_path, horizon=RUN)
    old = chain(range(100, 100 + 3 * RUN))
    commit(listener, {n: old[n] for n in range(100, 100 + 3 * RUN)})
    # the horizon reaches back to block 100 + 2 * RUN - 1: the two rows wholly below it are dropped
    assert listener._oldest_prefix() == 2 * RUN


def test_the_window_keeps_the_full_hashes_of_the_last_blocks_only(tmp_path):
    from sqlmodel import Session, select

    from oracle.models import SeenBlock

    listener = stored_listener(tmp_path, window=8)
    old = chain(range(100, 150))
    commit(listener, {n: old[n] for n in range(100, 130)})
    commit(listener, {n: old[n] for n in range(130, 150)})
    with Session(listener.engine) as session:
        rows = session.exec(select(SeenBlock)).all()
    assert {r.number: r.hash for r in rows} == {n: old[n] for n in range(142, 150)}


def test_blocks_read_are_kept_only_while_they_continue_the_chain_remembered():
    from oracle.forks import chained

    old = chain(range(10, 16))
    links = {n: (old[n], old[n - 1] if n > 10 else "0x" + "09" * 32) for n in old}
    assert chained("0x" + "09" * 32, links) == old
    assert chained(None, links) == old  # nothing remembered before them: not checked
    assert chained(as_remembered(prefix("0x" + "09" * 32)), links) == old  # a kept prefix as the base
    assert chained("0x" + "08" * 32, links) == {}  # the block before them was replaced meanwhile
    # the chain changed between two reads of the batch: the blocks after the break wait for the next poll
    broken = dict(links) | {13: ("0x" + "ab" * 32, "0x" + "cd" * 32)}
    assert chained(None, broken) == {n: old[n] for n in (10, 11, 12)}
    assert chained(None, dict(links) | {14: None, 15: None}) == {n: old[n] for n in (10, 11, 12, 13)}
