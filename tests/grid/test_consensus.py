"""Quorum counting on (result digest, callback hash) pairs."""

from offchain_grid.consensus import Vote, replacements_needed, tally

A, B = "0x" + "aa" * 32, "0x" + "bb" * 32
CB0, CB1 = "0x" + "00" * 32, "0x" + "11" * 32


def vote(i, digest=A, cb=CB0):
    return Vote(i, f"0xworker{i}", digest, cb)


def test_no_votes_no_winner():
    result = tally([], 1)
    assert result.winner is None and result.best_count == 0


def test_single_vote_wins_replication_one():
    result = tally([vote(1)], 1)
    assert result.winner == (A, CB0) and [v.replicate_id for v in result.agreeing] == [1]


def test_two_of_three_is_not_a_quorum_of_three():
    result = tally([vote(1), vote(2), vote(3, B)], 3)
    assert result.winner is None and result.best_count == 2


def test_quorum_with_dissent():
    result = tally([vote(1), vote(2, B), vote(3), vote(4)], 3)
    assert result.winner == (A, CB0)
    assert [v.replicate_id for v in result.agreeing] == [1, 3, 4]
    assert [v.replicate_id for v in result.dissenting] == [2]


def test_same_digest_different_callback_disagrees():
    result = tally([vote(1, A, CB0), vote(2, A, CB1)], 2)
    assert result.winner is None and result.best_count == 1


def test_replacements_needed():
    assert replacements_needed(3, best_count=2, active=0) == 1
    assert replacements_needed(3, best_count=2, active=1) == 0
    assert replacements_needed(1, best_count=0, active=0) == 1
    assert replacements_needed(2, best_count=2, active=0) == 0
