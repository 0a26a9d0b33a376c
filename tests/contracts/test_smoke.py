from conftest import APP_PRICE, POOL_PRICE
from helpers import spec, task_id_of


def test_request_locks_price(hub, rlc, app, pool, user):
    rlc.approve(hub, APP_PRICE + POOL_PRICE, {"from": user})
    tx = hub.requestTask(spec(app, pool), {"from": user})
    assert hub.taskStatus(task_id_of(tx)) == 1
    assert rlc.balanceOf(hub) == APP_PRICE + POOL_PRICE
