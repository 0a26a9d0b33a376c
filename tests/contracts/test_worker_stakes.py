import brownie

from conftest import MAX_DURATION, MIN_STAKE, RLC_UNIT, pool_config
from helpers import err

POOL, STAKE, EARNINGS, SCORE, LEFT_AT = range(5)


def _fund(rlc, deployer, account, amount=200 * RLC_UNIT):
    rlc.transfer(account, amount, {"from": deployer})


def test_join_takes_stake(hub, rlc, pool, deployer, stranger):
    _fund(rlc, deployer, stranger)
    rlc.approve(hub, MIN_STAKE, {"from": stranger})
    tx = hub.joinPool(pool, MIN_STAKE, {"from": stranger})
    assert list(tx.events["WorkerJoined"].values()) == [stranger, pool, MIN_STAKE]
    assert tuple(hub.s_workers(stranger)) == (pool, MIN_STAKE, 0, 0, 0)
    assert rlc.balanceOf(hub) == MIN_STAKE


def test_join_below_min_stake(hub, rlc, pool, deployer, stranger):
    _fund(rlc, deployer, stranger)
    rlc.approve(hub, MIN_STAKE, {"from": stranger})
    with brownie.reverts(err("InsufficientStake", stranger, MIN_STAKE - 1, MIN_STAKE)):
        hub.joinPool(pool, MIN_STAKE - 1, {"from": stranger})


def test_join_unknown_pool(hub, stranger):
    with brownie.reverts(err("UnknownPool", 7)):
        hub.joinPool(7, MIN_STAKE, {"from": stranger})


def test_join_again_adds_stake(hub, rlc, pool, workers):
    worker = workers[0]
    rlc.approve(hub, RLC_UNIT, {"from": worker})
    tx = hub.joinPool(pool, RLC_UNIT, {"from": worker})
    assert tx.events["WorkerJoined"]["stake"] == MIN_STAKE + RLC_UNIT
    assert hub.s_workers(worker)[STAKE] == MIN_STAKE + RLC_UNIT


def test_join_again_cancels_leave(hub, pool, workers):
    worker = workers[0]
    hub.leavePool({"from": worker})
    hub.joinPool(pool, 0, {"from": worker})
    assert hub.s_workers(worker)[LEFT_AT] == 0


def test_join_second_pool_refused(hub, pool, pool_owner, oracle, workers):
    other = hub.registerPool(pool_config(pool_owner, oracle, min_stake=0), {"from": pool_owner}).return_value
    with brownie.reverts(err("AlreadyInAnotherPool", workers[0], pool)):
        hub.joinPool(other, 0, {"from": workers[0]})


def test_leave_records_when_and_announces_unlock(hub, pool, workers):
    tx = hub.leavePool({"from": workers[0]})
    assert list(tx.events["WorkerLeaving"].values()) == [workers[0], pool, tx.timestamp + MAX_DURATION]
    assert hub.s_workers(workers[0])[LEFT_AT] == tx.timestamp


def test_leave_twice_refused(hub, workers):
    unlock_at = hub.leavePool({"from": workers[0]}).events["WorkerLeaving"]["unlockAt"]
    with brownie.reverts(err("AlreadyLeaving", workers[0], unlock_at)):
        hub.leavePool({"from": workers[0]})


def test_leave_when_not_in_pool(hub, stranger):
    with brownie.reverts(err("NotInPool", stranger)):
        hub.leavePool({"from": stranger})


def test_withdraw_stake_after_unlock(hub, rlc, pool, workers, chain):
    worker = workers[0]
    hub.leavePool({"from": worker})
    chain.sleep(MAX_DURATION + 1)
    before = rlc.balanceOf(worker)
    tx = hub.withdrawStake({"from": worker})
    assert list(tx.events["StakeWithdrawn"].values()) == [worker, pool, MIN_STAKE]
    assert rlc.balanceOf(worker) == before + MIN_STAKE
    assert tuple(hub.s_workers(worker)) == (0, 0, 0, 0, 0)
    assert rlc.balanceOf(hub) == 5 * MIN_STAKE  # the five other workers' stakes


def test_withdraw_stake_keeps_earnings_withdrawable(hub, rlc, app, pool, user, oracle, workers, chain):
    from helpers import finalize, open_task

    finalize(hub, oracle, open_task(hub, rlc, user, app, pool), workers[:1])
    earned = hub.balanceOf(workers[0])
    hub.leavePool({"from": workers[0]})
    chain.sleep(MAX_DURATION + 1)
    hub.withdrawStake({"from": workers[0]})
    assert hub.s_balances(workers[0]) == earned > 0


def test_withdraw_stake_before_unlock(hub, workers):
    unlock_at = hub.leavePool({"from": workers[0]}).events["WorkerLeaving"]["unlockAt"]
    with brownie.reverts(err("StakeLocked", workers[0], unlock_at)):
        hub.withdrawStake({"from": workers[0]})


def test_withdraw_stake_without_leaving(hub, workers):
    with brownie.reverts(err("StakeLocked", workers[0], 0)):
        hub.withdrawStake({"from": workers[0]})


def test_withdraw_stake_when_not_in_pool(hub, stranger):
    with brownie.reverts(err("NotInPool", stranger)):
        hub.withdrawStake({"from": stranger})


def test_stake_can_rejoin_another_pool_after_withdrawal(hub, rlc, pool_owner, oracle, workers, chain):
    worker = workers[0]
    hub.leavePool({"from": worker})
    chain.sleep(MAX_DURATION + 1)
    hub.withdrawStake({"from": worker})
    other = hub.registerPool(pool_config(pool_owner, oracle, min_stake=1), {"from": pool_owner}).return_value
    rlc.approve(hub, 1, {"from": worker})
    assert hub.joinPool(other, 1, {"from": worker}).events["WorkerJoined"]["pool"] == other
