"""The vanity dapp's front end in a real browser, against real anvil, contracts, scheduler, workers
and oracle: a user asks for a prefix, pays with one approveAndCall, and sees the address the
contract stored; a prefix the contract refuses, a payment the wallet refuses and a balance too
small each show a clear message and change nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests
from selenium.webdriver.common.by import By

from oracle import localnet
from oracle.localnet import start_oracle
from sdk.frontend.config import page_config
from sdk.frontend.server import FrontEnd

from .browser import dead_port, only_local, wait_for

FIRST_PAINT_MS = 1000
PAGE_BYTES = 40_000  # the document, its scripts and styles
# an EIP-1193 wallet in the page, as a browser extension injects one, whose user declines to pay
DECLINING_WALLET = """
window.ethereum = {
  async request({method, params}) {
    if (method === "eth_requestAccounts" || method === "eth_accounts") return ["ACCOUNT"];
    if (method === "eth_sendTransaction") throw Object.assign(new Error("User rejected the request."), {code: 4001});
    const answer = await (await fetch("/rpc", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({jsonrpc: "2.0", id: 1, method, params: params || []})})).json();
    if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
    return answer.result;
  },
  on() {},
};
"""


def declining_wallet(account: str) -> str:
    return DECLINING_WALLET.replace("ACCOUNT", account)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("vanity-page")
    net = localnet.build(workdir, workers=2, trust=2, block_time=None)
    net.workdir = workdir
    oracle = start_oracle(net, workdir, "--poll-interval", "0.2")
    yield net
    oracle.terminate()
    oracle.wait(10)
    net.stop()


def front_end(net, account: str) -> FrontEnd:
    config = page_config(net.deployment, dev_account=account, dashboard=f"{net.grid.url}/dashboard")
    return FrontEnd(config, net.chain.url, oracle_url=net.monitor_url, scheduler_url=net.grid.url).start()


@pytest.fixture(scope="module")
def front(net):
    server = front_end(net, net.key(localnet.USER).address)
    yield server
    server.stop()


def poor_account(net) -> str:
    """An account of the node with ether but no RLC: the last one, which no role uses."""
    return net.w3.eth.accounts[-1]


def user_state(net, account: str) -> tuple:
    """What a refused payment must leave as it was: nonce, RLC balance, requests made."""
    vanity = net.contract("VanityAddress")
    requested = vanity.events.VanityRequested().get_logs(from_block=net.deployment.start_block)
    return (net.w3.eth.get_transaction_count(account), net.contract("RLC").functions.balanceOf(account).call(),
            len(requested))


def ask(browser, url: str, prefix: str) -> None:
    browser.open(url)
    browser.wait(lambda d: d.find_element(By.ID, "pay").is_enabled(), "the price, and the pay button enabled")
    field = browser.driver.find_element(By.ID, "prefix")
    field.clear()
    field.send_keys(prefix)
    browser.driver.find_element(By.ID, "pay").click()


def message(browser) -> str:
    return browser.driver.execute_script("const m = document.getElementById('message'); "
                                         "return m.hidden ? '' : m.textContent;")


def test_a_user_asks_for_a_prefix_and_sees_the_stored_address(browser, net, front):
    user = net.key(localnet.USER).address
    price = localnet.vanity_price(net)
    ask(browser, front.url, "ab")
    assert browser.text("price") == f"{price / 1e9:g} RLC"
    found = browser.wait(lambda d: browser.text("found") or None, "the found address", timeout=180)
    task_id = bytes.fromhex(browser.text("task-id").removeprefix("task 0x"))
    stored = net.contract("VanityAddress").functions.s_found(task_id).call()
    assert found == stored.lower() and found.startswith("0xab")  # the 20 bytes stored, in lowercase hex
    [requested] = net.contract("VanityAddress").events.VanityRequested().get_logs(
        from_block=net.deployment.start_block, argument_filters={"taskId": task_id})
    assert requested["args"]["user"] == user and requested["args"]["prefix"] == "ab"
    steps = {s: browser.text(f"step-{s}") for s in ("requested", "seen", "computing", "finalized")}
    assert f"block {requested['blockNumber']}" in steps["requested"] and requested["transactionHash"].hex() in \
        steps["requested"].replace("0x", "")
    assert "2 worker(s) agreed" in steps["computing"] and "gas" in steps["finalized"]
    classes = browser.driver.execute_script("return [...document.querySelectorAll('.steps li')].map(l => l.className)")
    assert classes == ["done"] * 4
    assert message(browser) == ""
    assert only_local(browser.requested_urls(), front.url.rstrip("/")) == []
    assert browser.console_errors() == []
    browser.screenshot("vanity")

    browser.open(f"{net.grid.url}/dashboard")  # the pool's on-chain tasks beside the grid
    browser.wait(lambda d: browser.text("tasks-finalized") not in (None, "–", "0"), "the oracle's finalized task")
    assert "0x" + task_id.hex()[:8] in browser.text("tasks")
    assert browser.console_errors() == []
    browser.screenshot("dashboard-with-oracle")


def test_a_prefix_the_contract_refuses_shows_its_reason_before_any_payment(browser, net, front):
    user = net.key(localnet.USER).address
    before = user_state(net, user)
    ask(browser, front.url, "xyz")
    text = browser.wait(lambda d: message(browser), "the contract's reason")
    assert 'refuses the prefix "xyz"' in text and "InvalidPrefix" in text and "Nothing was paid" in text
    assert user_state(net, user) == before
    assert browser.driver.find_element(By.ID, "task-panel").get_attribute("hidden") is not None


def test_a_payment_the_user_declines_in_the_wallet_changes_nothing(browser, net, front):
    user = net.key(localnet.USER).address
    before = user_state(net, user)
    injected = browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                              {"source": declining_wallet(user)})
    try:
        ask(browser, front.url, "cd")
        assert browser.text("wallet-kind") == "your browser's wallet"
        text = browser.wait(lambda d: "declined" in message(browser) and message(browser), "the declined payment")
    finally:
        browser.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                       {"identifier": injected["identifier"]})
    assert text == "You declined the payment in your wallet: nothing was paid."
    assert user_state(net, user) == before


def test_a_balance_too_small_says_so_and_changes_nothing(browser, net):
    poor = poor_account(net)
    server = front_end(net, poor)
    try:
        before = user_state(net, poor)
        ask(browser, server.url, "ef")
        assert browser.text("balance") == "0 RLC"
        text = browser.wait(lambda d: message(browser), "the refusal")
        assert "Not enough RLC: your balance is 0 RLC" in text and "Nothing was paid" in text
        assert user_state(net, poor) == before
    finally:
        server.stop()


def test_the_page_loads_offline_fast_and_light(browser, front):
    figures = []
    for _ in range(3):  # the best of three loads: the machine is shared
        browser.open(front.url)
        browser.wait(lambda d: d.find_element(By.ID, "pay").is_enabled(), "the page ready to pay")
        figures.append(browser.load_figures())
        assert only_local(browser.requested_urls(), front.url.rstrip("/")) == []
    best = min(figures, key=lambda f: f["first_paint_ms"])
    print(f"vanity page: first paint {best['first_paint_ms']:.0f} ms, {best['bytes']} bytes over "
          f"{best['requests']} requests ({best['decoded_bytes']} decoded, {best['asset_bytes']} of them the page's own "
          "files)")
    assert best["first_paint_ms"] <= FIRST_PAINT_MS
    assert max(f["asset_bytes"] for f in figures) <= PAGE_BYTES  # what the page weighs, cached or not
    assert browser.console_errors() == []


def test_another_site_cannot_spend_through_the_relay(net, front):
    user = net.key(localnet.USER).address
    before = user_state(net, user)
    send = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction",
            "params": [{"from": user, "to": net.deployment.rlc, "data": "0x"}]}
    rpc = front.url + "rpc"
    # a form or a simple fetch from another page: no JSON content type
    plain = {"Content-Type": "text/plain"}
    assert requests.post(rpc, data=json.dumps(send), headers=plain, timeout=10).status_code == 415
    assert requests.post(rpc, json=send, headers={"Origin": "http://evil.example"}, timeout=10).status_code == 403
    rebound = {"Host": f"evil.example:{front.server.server_address[1]}"}  # DNS rebinding
    assert requests.post(rpc, json=send, headers=rebound, timeout=10).status_code == 403
    other = {"jsonrpc": "2.0", "id": 2, "method": "eth_sendTransaction",
             "params": [{"from": net.key(localnet.DEPLOYER).address, "to": user, "value": "0x1"}]}
    assert requests.post(rpc, json=other, timeout=10).json()["error"]["code"] == 4100  # not the page's account
    assert requests.post(rpc, json={**send, "method": "anvil_setBalance"}, timeout=10).json()["error"]["code"] == -32601
    assert user_state(net, user) == before


def test_cumulus_page_serve_gives_the_page_to_a_browser_wallet(browser, net):
    port = dead_port()
    command = [sys.executable, "-m", "sdk.cli", "page", "serve", "--rpc-url", net.chain.url, "--deployment",
               str(net.workdir / "local.json"), "--port", str(port), "--oracle", net.monitor_url,
               "--scheduler", net.grid.url]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        line = server.stdout.readline()
        assert line.startswith(f"front end: http://127.0.0.1:{port}/"), line
        url = f"http://127.0.0.1:{port}/"
        config = requests.get(url + "config.json", timeout=10).json()
        assert config["devAccount"] is None and config["dapp"] == net.vanity
        send = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction",
                "params": [{"from": net.key(localnet.USER).address, "to": net.deployment.rlc}]}
        assert requests.post(url + "rpc", json=send, timeout=10).json()["error"]["code"] == 4100  # nobody's signer
        injected = browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                                  {"source": declining_wallet(net.key(localnet.USER).address)})
        try:
            ask(browser, url, "zz")
            assert browser.text("wallet-kind") == "your browser's wallet"
            assert browser.text("account") == net.key(localnet.USER).address  # what the wallet gave
            text = browser.wait(lambda d: message(browser), "the contract's reason")
            assert 'refuses the prefix "zz"' in text
        finally:
            browser.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                           {"identifier": injected["identifier"]})
    finally:
        server.terminate()
        server.wait(15)
    wrong = subprocess.run([*command[:3], "page", "serve", "--network", "nowhere"], capture_output=True, text=True,
                           timeout=60)
    assert wrong.returncode != 0 and "Traceback" not in wrong.stderr and len(wrong.stderr.strip().splitlines()) == 1
