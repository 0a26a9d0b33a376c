"""Reorgs with anvil_reorg: nothing from an orphaned block is finalized; a request mined again
is served once; one that is not is never served."""

from __future__ import annotations

from sqlmodel import Session, select
from web3.logs import DISCARD

from oracle import localnet
from oracle.chain_reads import block_hashes
from oracle.db import make_engine
from oracle.listener import KEEP_HASHES
from oracle.models import Cursor, SeenBlock
from oracle.deployment import transact
from oracle.hub import task_spec
from oracle.localnet import start_oracle

from .conftest import APPS, events, oracle_tasks, oracle_txs, wait_until


def signed_request(net, app: int, params: bytes) -> tuple[bytes, bytes]:
    """Approves the Hub, then signs (without sending) a request; returns the raw tx and the price."""
    hub, rlc = net.contract("Hub"), net.contract("RLC")
    user = net.key(localnet.USER)
    spec = task_spec(app, net.deployment.pool, duration=120, params=params)
    price = hub.functions.quote(spec).call()
    transact(net.w3, user, rlc.functions.approve(hub.address, price))
    tx = hub.functions.requestTask(spec).build_transaction({
        "from": user.address, "nonce": net.w3.eth.get_transaction_count(user.address), "gas": 400_000,
    })
    return bytes(user.sign_transaction(tx).raw_transaction), price


def send(net, raw: bytes) -> bytes:
    receipt = net.w3.eth.wait_for_transaction_receipt(net.w3.eth.send_raw_transaction(raw))
    [event] = net.contract("Hub").events.TaskRequested().process_receipt(receipt, errors=DISCARD)
    return bytes(event["args"]["taskId"])


def task(workdir, task_id: bytes):
    return oracle_tasks(workdir).get("0x" + task_id.hex())


def test_orphaned_request_is_never_served_and_a_remined_one_is_served_once(tmp_path):
    net = localnet.build(tmp_path, workers=1, trust=1, block_time=None, grid_worker_count=0)
    oracle = start_oracle(net, tmp_path, "--poll-interval", "0.2")
    try:
        app = net.add_app("answer", APPS / "answer.py")
        rlc, hub = net.contract("RLC"), net.contract("Hub")
        user = net.key(localnet.USER).address
        balance_before = rlc.functions.balanceOf(user).call()

        # A: dispatched, then its block is replaced by an empty one
        raw_a, _price = signed_request(net, app, b"first")
        orphan = send(net, raw_a)
        wait_until(lambda: task(tmp_path, orphan) and task(tmp_path, orphan).state == "DISPATCHED", 30, what="A dispatched")
        net.w3.provider.make_request("anvil_reorg", [1, []])
        wait_until(lambda: task(tmp_path, orphan).held, 30, what="A held")
        assert hub.functions.taskStatus(orphan).call() == 0

        # B: dispatched, then its block is replaced by one that mines the same request again
        raw_b, price = signed_request(net, app, b"second")
        first_b = send(net, raw_b)
        wait_until(lambda: task(tmp_path, first_b) and task(tmp_path, first_b).state == "DISPATCHED", 30, what="B dispatched")
        first_hash = task(tmp_path, first_b).block_hash
        net.w3.provider.make_request("anvil_reorg", [1, [["0x" + raw_b.hex(), 0]]])

        def b_seen_again():
            b = task(tmp_path, first_b)
            return len(oracle_tasks(tmp_path)) == 3 or (not b.held and b.block_hash != first_hash)

        wait_until(b_seen_again, 30, what="B mined again")

        net.grid.add_worker(net.worker_key(0))  # now the jobs can run
        requested = hub.events.TaskRequested().get_logs(from_block=net.deployment.start_block)
        [remined] = [bytes(e["args"]["taskId"]) for e in requested if bytes(e["args"]["taskId"]) != orphan]
        wait_until(lambda: events(net, "TaskFinalized", remined), 60, what="B finalized")
        assert len(events(net, "TaskFinalized", remined)) == 1
        if remined != first_b:
            assert not events(net, "TaskFinalized", first_b)
        assert rlc.functions.balanceOf(user).call() == balance_before - price  # B paid once, A not at all

        # A's job completed too, but A is not on the chain: it ends orphaned, never finalized
        net.w3.provider.make_request("evm_increaseTime", [300])
        net.w3.provider.make_request("evm_mine", [])
        wait_until(lambda: task(tmp_path, orphan).state == "ORPHANED", 30, what="A orphaned")
        assert not events(net, "TaskFinalized", orphan)
        assert not events(net, "TaskClaimed", orphan)
    finally:
        oracle.terminate()
        oracle.wait(10)
        net.stop()


def included_batch(workdir, task_id: bytes):
    """The task's settlement transaction once a receipt was seen and it waits for its depth."""
    record = task(workdir, task_id)
    purpose = record and record.tx_purpose
    included = [t for t in oracle_txs(workdir, purpose) if t.state == "INCLUDED"] if purpose else []
    return included[0] if included else None


def test_a_reorg_dropping_the_finalize_block_puts_the_task_back_and_resends(tmp_path):
    net = localnet.build(tmp_path, workers=1, trust=1, block_time=None)
    oracle = start_oracle(net, tmp_path, "--poll-interval", "0.2", "--confirmations", "2")
    try:
        app = net.add_app("answer", APPS / "answer.py")
        hub = net.contract("Hub")
        task_id, _request, _receipt = net.request(app, trust=1)
        net.w3.provider.make_request("evm_mine", [])  # the request is 2 blocks deep: seen
        sent = wait_until(lambda: included_batch(tmp_path, task_id), 60, what="the finalize included")
        # automine: the finalize's block is the head, one block short of the depth
        assert net.w3.eth.block_number == sent.block_number
        assert task(tmp_path, task_id).state == "FINALIZING"
        net.w3.provider.make_request("anvil_reorg", [1, []])  # drops only that block
        assert hub.functions.taskStatus(task_id).call() == 1  # Requested again
        wait_until(lambda: events(net, "TaskFinalized", task_id), 60, what="the finalize sent again and mined")
        assert task(tmp_path, task_id).state == "FINALIZING"  # not final before its depth
        net.w3.provider.make_request("evm_mine", [])
        wait_until(lambda: task(tmp_path, task_id).state == "FINALIZED", 30, what="FINALIZED at depth 2")
        assert len(events(net, "TaskFinalized", task_id)) == 1
        assert "reorged out; sending it again" in (tmp_path / "oracle.log").read_text()
    finally:
        oracle.terminate()
        oracle.wait(10)
        net.stop()


def test_a_reorg_deeper_than_the_remembered_window_is_replayed_from_its_exact_fork(tmp_path):
    """Every block of the window of full hashes is replaced, and the fork lies between two blocks
    of the old one-in-32 checkpoints: the replay starts right after it, and the request mined
    again below the window is served once."""
    net = localnet.build(tmp_path, workers=1, trust=1, block_time=None, grid_worker_count=0)
    oracle = start_oracle(net, tmp_path, "--poll-interval", "0.2")
    try:
        app = net.add_app("answer", APPS / "answer.py")
        raw, _price = signed_request(net, app, b"deep")
        # history below the fork to come, so that the fork (the block before the request's) is not a multiple of 32
        filler = 64 + (17 - (net.w3.eth.block_number + 64)) % 32
        net.w3.provider.make_request("anvil_mine", [hex(filler), "0x0"])
        first = send(net, raw)
        fork = net.w3.eth.block_number - 1
        wait_until(lambda: task(tmp_path, first) and task(tmp_path, first).state == "DISPATCHED", 30, what="dispatched")
        depth = KEEP_HASHES + 57  # the request's block and everything remembered in full are replaced
        net.w3.provider.make_request("anvil_mine", [hex(depth - 1), "0x0"])
        head = net.w3.eth.block_number
        wait_until(lambda: oracle_cursor(tmp_path) == head, 60, what="the oracle at the head")
        before = chain_hashes(net, head)
        net.w3.provider.make_request("anvil_reorg", [depth, [["0x" + raw.hex(), 0]]])
        after = chain_hashes(net, head)
        assert max(n for n in before if after[n] == before[n]) == fork == head - depth
        assert fork % 32 != 0 and fork < head - KEEP_HASHES
        requested = net.contract("Hub").events.TaskRequested().get_logs(from_block=net.deployment.start_block)
        [remined] = [bytes(e["args"]["taskId"]) for e in requested]
        assert requested[0]["blockNumber"] == fork + 1
        # the same block number as before the reorg: the new block's hash tells it was read again
        wait_until(lambda: task(tmp_path, remined) and not task(tmp_path, remined).held
                   and task(tmp_path, remined).block_hash == after[fork + 1], 60, what="the re-mined request seen")
        log_text = (tmp_path / "oracle.log").read_text()
        assert f"block {fork} is the last one unchanged" in log_text
        assert f"the chain forked after block {fork}; replaying from block {fork + 1}" in log_text
        assert "reorg deeper than every block remembered" not in log_text
        net.grid.add_worker(net.worker_key(0))
        wait_until(lambda: events(net, "TaskFinalized", remined), 60, what="the re-mined request finalized")
        assert len(events(net, "TaskFinalized", remined)) == 1
        assert len(oracle_tasks(tmp_path)) == 1 + (remined != first)
    finally:
        oracle.terminate()
        oracle.wait(10)
        net.stop()


def chain_hashes(net, head: int) -> dict[int, str]:
    start = net.deployment.start_block
    return {n: h for n, h in block_hashes(net.w3, range(start, head + 1)).items()}


def oracle_cursor(workdir) -> int | None:
    engine = make_engine(f"sqlite:///{workdir / 'oracle.db'}")
    with Session(engine) as session:
        row = session.exec(select(Cursor)).first()
        return row.block if row else None


def test_the_listener_finds_forks_through_its_prefixes_and_replays_from_the_deployment_below_them(tmp_path, caplog):
    """The listener alone on a real anvil and database, with a window of 8 blocks and prefixes
    kept within RUN blocks: a reorg below the window is exact, so is one found while the window
    is empty (blocks were removed), and one below every prefix replays everything from the Hub's
    deployment and says so."""
    from oracle.devchain import start_anvil
    from oracle.deployment import deploy_all
    from oracle.hub import hub_contract
    from oracle.listener import RUN, EventListener

    chain = start_anvil(log_path=tmp_path / "anvil.log")
    try:
        w3 = chain.web3()
        deployment = deploy_all(w3, chain.keys[0], "local")
        engine = make_engine(f"sqlite:///{tmp_path / 'oracle.db'}")
        listener = EventListener(w3, hub_contract(w3, deployment.hub), 1, engine, start_block=deployment.start_block,
                                 window=8, horizon=RUN)

        def follow() -> int | None:
            batch = listener.poll()
            with Session(engine) as session:
                listener.commit(session, batch)
                session.commit()
            return batch.fork_block

        for _ in range(2 * RUN // 64 + 2):
            w3.provider.make_request("anvil_mine", [hex(64), "0x0"])
            assert follow() is None and listener.cursor() == w3.eth.block_number
        assert listener._oldest_prefix() == RUN  # the first row of prefixes fell out of the horizon

        head = w3.eth.block_number
        w3.provider.make_request("anvil_reorg", [head - (RUN + 40), [transfer(w3, chain.keys[1])]])  # below the window
        caplog.set_level("WARNING", logger="oracle.listener")
        assert follow() == RUN + 40
        assert f"block {RUN + 40} is the last one unchanged" in caplog.text

        # blocks removed, none added: the window is empty, the prefixes still tell where the chain was
        before = w3.eth.block_number
        w3.provider.make_request("anvil_rollback", [20])
        assert follow() == before - 20 and listener.cursor() == before - 20
        with Session(engine) as session:
            assert not session.exec(select(SeenBlock)).all()
        w3.provider.make_request("anvil_reorg", [30, [transfer(w3, chain.keys[1])]])  # found from the prefixes alone
        assert follow() == before - 50
        w3.provider.make_request("anvil_mine", [hex(5), "0x0"])
        assert follow() is None and listener.cursor() == w3.eth.block_number

        oldest = listener._oldest_prefix()  # blocks older than the horizon were not hashed again
        assert RUN < oldest
        w3.provider.make_request("anvil_reorg", [w3.eth.block_number - (RUN - 10), [transfer(w3, chain.keys[1])]])  # below all
        assert follow() == deployment.start_block - 1
        assert (f"reorg deeper than every block remembered (the oldest: {oldest}): replaying from block "
                f"{deployment.start_block}, the Hub's deployment") in caplog.text
    finally:
        chain.stop()


def transfer(w3, account) -> list:
    """A transaction for anvil_reorg to put in the first new block, so that it differs from the old one."""
    tx = {"to": "0x" + "42" * 20, "value": 1, "gas": 21_000, "gasPrice": 10**10, "chainId": w3.eth.chain_id,
          "nonce": w3.eth.get_transaction_count(account.address)}
    return ["0x" + bytes(account.sign_transaction(tx).raw_transaction).hex(), 0]
