"""The oracle's pool-order decisions, as pure functions: what its alive workers can deliver, and
what to do with the orders it has on the book."""

from oracle.pool_orders import Capacity, Listed, capacity_of, plan, wanted_terms

A, B, C = ("0x" + c * 40 for c in "abc")
MEMBERS = {"0x" + "A" * 40: (100, 7), "0x" + "B" * 40: (300, 2)}
NOW, LIFETIME = 1_000, 600


def worker(address, status="ALIVE", slots=1, blacklisted=False):
    return {"address": address, "status": status, "slots": slots, "blacklisted": blacklisted}


def members():
    from web3 import Web3
    return {Web3.to_checksum_address(a): v for a, v in MEMBERS.items()}


def test_capacity_counts_alive_members_only():
    grid = [worker(A, slots=2), worker(B), worker(C), worker(A.upper().replace("0X", "0x"), status="LOST")]
    assert capacity_of(grid, members()) == Capacity(workers=2, slots=3, stake=100, score=2)
    assert capacity_of([worker(A, blacklisted=True), worker(B, status="LOST")], members()) == Capacity(0, 0, 0, 0)
    assert capacity_of([{"address": "nobody", "status": "ALIVE"}], members()) == Capacity(0, 0, 0, 0)


def wanted(workers=2, stake=100, score=2, slots=3, price=5):
    return wanted_terms(1, Capacity(workers, slots, stake, score), (price, 10), NOW, LIFETIME)


def listed(digest="0x01", remaining=3, expiry=NOW + LIFETIME, **terms):
    return Listed(digest, {**wanted(), "expiry": expiry, **terms}, remaining)


def test_nothing_listed_publishes_what_the_workers_deliver():
    decided = plan([], wanted(), NOW, LIFETIME)
    assert decided.publish == wanted() and decided.publish["maxTrust"] == 2 and decided.publish["volume"] == 3
    assert not decided.cancel and not decided.withdraw


def test_a_fresh_matching_order_is_kept():
    decided = plan([listed()], wanted(), NOW, LIFETIME)
    assert decided.publish is None and not decided.cancel and not decided.withdraw


def test_no_worker_left_cancels_every_order_on_chain():
    decided = plan([listed("0x01"), listed("0x02", maxTrust=1)], None, NOW, LIFETIME)
    assert decided.cancel == ["0x01", "0x02"] and decided.publish is None


def test_an_order_promising_more_than_the_workers_give_is_cancelled():
    for fewer in (wanted(workers=1), wanted(stake=50), wanted(score=1)):
        decided = plan([listed()], fewer, NOW, LIFETIME)
        assert decided.cancel == ["0x01"] and decided.publish == fewer


def test_more_capacity_or_a_new_price_withdraws_without_cancelling():
    for better in (wanted(workers=3), wanted(price=4), wanted(slots=1)):
        decided = plan([listed()], better, NOW, LIFETIME)
        assert decided.withdraw == ["0x01"] and not decided.cancel and decided.publish == better


def test_workers_gaining_stake_or_reputation_keep_the_order():
    decided = plan([listed()], wanted(stake=200, score=9), NOW, LIFETIME)
    assert decided.publish is None and not decided.cancel and not decided.withdraw


def test_used_up_or_ageing_orders_are_replaced():
    assert plan([listed(remaining=0)], wanted(), NOW, LIFETIME).publish == wanted()
    assert plan([listed(expiry=NOW + LIFETIME // 2)], wanted(), NOW, LIFETIME).publish == wanted()
    assert plan([listed(expiry=NOW + LIFETIME // 2 + 1)], wanted(), NOW, LIFETIME).publish is None
