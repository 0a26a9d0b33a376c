// The vanity dapp's page: read the price, ask the contract's verdict on the request before any
// payment, pay with one approveAndCall from the user's wallet, then follow the task until the
// contract holds the found address. The wallet is the browser's own (EIP-1193, window.ethereum)
// or, on a local dev chain, an account the node holds unlocked, reached through this server's /rpc.
"use strict";

const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);
const state = {config: null, provider: null, account: null, price: null, task: null};

// ------------------------------------------------------------------ wallet and chain

function nodeProvider() {
  let id = 0;
  return {
    async request({method, params}) {
      const response = await fetch("/rpc", {method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({jsonrpc: "2.0", id: ++id, method, params: params || []})});
      const answer = await response.json();
      if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
      return answer.result;
    },
  };
}

const rpc = (method, params) => state.provider.request({method, params});
const hex = (n) => "0x" + BigInt(n).toString(16);

async function ethCall(to, data) {
  return rpc("eth_call", [{from: state.account, to, data}, "latest"]);
}

async function connect() {
  const config = state.config;
  if (window.ethereum && typeof window.ethereum.request === "function") {
    state.provider = window.ethereum;
    state.account = (await rpc("eth_requestAccounts", []))[0];
    $("wallet-kind").textContent = "your browser's wallet";
    window.ethereum.on?.("accountsChanged", () => location.reload());
  } else if (config.devAccount) {
    state.provider = nodeProvider();
    state.account = config.devAccount;
    $("wallet-kind").textContent = "a dev account the local node holds unlocked (no browser wallet found)";
  } else {
    throw new Error("No Ethereum wallet in this browser: install one to pay.");
  }
  if (!state.account) throw new Error("The wallet gave no account.");
  const chain = BigInt(await rpc("eth_chainId", []));
  if (chain !== BigInt(config.chainId)) {
    throw new Error(`Your wallet is on chain ${chain}; this dapp lives on chain ${config.chainId}: switch networks.`);
  }
  $("account").textContent = state.account;
  $("deployer").value = state.account;
  $("init-code-hash").value = config.defaultInitCodeHash;
  $("network").textContent = `chain ${config.chainId} · dapp ${config.dapp}`;
  if (config.dashboard) {
    $("dashboard-link").href = config.dashboard;
    $("dashboard-link").hidden = false;
  }
}

async function refreshAccount() {
  const f = state.config.functions;
  const [price] = Abi.decode(["uint256"], await ethCall(state.config.dapp, f["VanityAddress.price"]));
  const [balance] = Abi.decode(["uint256"], await ethCall(state.config.rlc,
    Abi.call(f["RLC.balanceOf"], ["address"], [state.account])));
  state.price = price;
  $("price").textContent = rlc(price) + " RLC";
  $("balance").textContent = rlc(balance) + " RLC";
}

function rlc(nrlc) {
  const whole = nrlc / 1000000000n;
  const fraction = (nrlc % 1000000000n).toString().padStart(9, "0").replace(/0+$/, "");
  return whole.toLocaleString("en") + (fraction ? "." + fraction : "");
}

// ------------------------------------------------------------------ the contract's reasons

// The revert data in whatever shape a wallet or node wraps it.
function revertData(error) {
  const queue = [error];
  const seen = new Set();
  while (queue.length) {
    const item = queue.shift();
    if (typeof item === "string" && /^0x[0-9a-fA-F]{8,}$/.test(item)) return item;
    if (!item || typeof item !== "object" || seen.has(item)) continue;
    seen.add(item);
    queue.push(item.data, item.error, item.cause, item.originalError, item.info);
  }
  return null;
}

function explain(error) {
  const data = revertData(error);
  const known = data && state.config.errors[data.slice(0, 10)];
  if (!known) return `The request would fail: ${error.message || error}. Nothing was paid.`;
  const values = Abi.decode(known.inputs.map((i) => i.type), "0x" + data.slice(10));
  const args = Object.fromEntries(known.inputs.map((input, i) => [input.name, values[i]]));
  const reason = `${known.name}(${known.inputs.map((input, i) => JSON.stringify(String(values[i]))).join(", ")})`;
  const why = {
    InvalidPrefix: () => `The dapp refuses the prefix "${args.prefix}": it takes 1 to 8 hex digits (0-9, a-f).`,
    ERC20InsufficientBalance: () => `Not enough RLC: your balance is ${rlc(args.balance)} RLC and the request ` +
      `costs ${rlc(args.needed)} RLC.`,
    ERC20InsufficientAllowance: () => `The payment allowed ${rlc(args.allowance)} RLC; the request costs ` +
      `${rlc(args.needed)} RLC.`,
    PriceAboveMax: () => `The price rose to ${rlc(args.price)} RLC since this page read it: try again.`,
  }[known.name];
  return `${why ? why() : "The contract refuses the request."} Nothing was paid. (Contract's reason: ${reason})`;
}

function say(text, kind = "error") {
  $("message").textContent = text;
  $("message").className = "message" + (kind === "info" ? " info" : "");
  $("message").hidden = !text;
}

// ------------------------------------------------------------------ paying

function requestData() {
  const prefix = $("prefix").value.trim().replace(/^0x/i, "");
  const deployer = $("deployer").value.trim();
  const initCodeHash = $("init-code-hash").value.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(deployer)) throw new Error("The deployer must be an address: 0x and 40 hex digits.");
  if (!/^0x[0-9a-fA-F]{64}$/.test(initCodeHash)) throw new Error("The init code hash must be 0x and 64 hex digits.");
  return "0x" + Abi.encode(["string", "address", "bytes32"], [prefix, deployer, initCodeHash]);
}

async function pay(event) {
  event.preventDefault();
  $("pay").disabled = true;
  say("");
  try {
    await refreshAccount();
    const data = Abi.call(state.config.functions["RLC.approveAndCall"], ["address", "uint256", "bytes"],
      [state.config.dapp, state.price, requestData()]);
    const tx = {from: state.account, to: state.config.rlc, data};
    let gas;
    try {  // the contract's verdict, before anything is signed or paid
      await rpc("eth_call", [tx, "latest"]);
      gas = BigInt(await rpc("eth_estimateGas", [tx]));
    } catch (error) {
      return say(explain(error));
    }
    say("Confirm the payment of " + rlc(state.price) + " RLC in your wallet…", "info");
    let hash;
    try {
      hash = await rpc("eth_sendTransaction", [{...tx, gas: hex(gas * 12n / 10n)}]);
    } catch (error) {
      return say(error.code === 4001 ? "You declined the payment in your wallet: nothing was paid."
        : `The payment was not sent: ${error.message || error}. Nothing was paid.`);
    }
    say("Payment sent; waiting for it to be mined…", "info");
    const receipt = await waitForReceipt(hash);
    if (BigInt(receipt.status) !== 1n) {
      return say(`The payment transaction ${hash} failed in block ${BigInt(receipt.blockNumber)}: nothing was ` +
        "requested, only its gas was spent.");
    }
    say("");
    follow(receipt);
  } catch (error) {
    say(error.message || String(error));
  } finally {
    $("pay").disabled = false;
    refreshAccount().catch(() => {});
  }
}

async function waitForReceipt(hash) {
  for (;;) {
    const receipt = await rpc("eth_getTransactionReceipt", [hash]);
    if (receipt) return receipt;
    await sleep(POLL_MS / 2);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------ following the task

function step(id, status, detail) {
  const item = $(id);
  item.className = status;
  item.querySelector(".detail").textContent = detail;
}

function follow(receipt) {
  const events = state.config.events;
  const requested = receipt.logs.find((log) => log.topics[0] === events.VanityRequested);
  const taskId = requested.topics[1];
  const task = {id: taskId, block: BigInt(receipt.blockNumber), hash: receipt.transactionHash, done: false};
  state.task = task;
  $("task-panel").hidden = false;
  $("result").hidden = true;
  $("task-id").textContent = "task " + taskId;
  step("step-requested", "done", `${rlc(state.price)} RLC paid in block ${task.block} · transaction ` +
    `${receipt.transactionHash} · ${BigInt(receipt.gasUsed).toLocaleString("en")} gas`);
  step("step-seen", "active", "waiting for the oracle to see the request (block confirmations)");
  step("step-computing", "", "");
  step("step-finalized", "", "");
  watch(task);
}

async function watch(task) {
  while (state.task === task && !task.done) {
    try {
      await observe(task);
    } catch (error) {
      step("step-seen", "active", "cannot read the task's progress now: " + (error.message || error));
    }
    if (!task.done) await sleep(POLL_MS);
  }
}

async function observe(task) {
  const events = state.config.events;
  const progress = await fetch("/progress/" + task.id, {cache: "no-store"}).then((r) => r.json()).catch(() => null);
  const oracle = progress && progress.oracle;
  const job = progress && progress.job;
  if (oracle) step("step-seen", "done", `oracle: ${oracle.state.toLowerCase()}`);
  if (job) {
    const replicas = Object.entries(job.replicates).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ");
    const done = job.status === "COMPLETED";
    step("step-computing", done ? "done" : job.status === "ERROR" ? "failed" : "active",
      (done ? `${job.replication} worker(s) agreed` : `computing on ${job.workers} worker(s)`) +
      ` · grid job ${job.uid.slice(0, 8)} ${job.status.toLowerCase()} · replicas: ${replicas}`);
  }
  const logs = await rpc("eth_getLogs", [{address: state.config.hub, fromBlock: hex(task.block), toBlock: "latest",
    topics: [[events.TaskFinalized, events.TaskFailed, events.TaskClaimed], task.id]}]);
  if (!logs.length) return;
  const settled = logs[0];
  const receipt = await rpc("eth_getTransactionReceipt", [settled.transactionHash]);
  const block = BigInt(settled.blockNumber);
  const where = `in block ${block} (${block - task.block} after the request) · transaction ` +
    `${settled.transactionHash} · ${BigInt(receipt.gasUsed).toLocaleString("en")} gas`;
  task.done = true;
  if (settled.topics[0] !== events.TaskFinalized) {
    const refund = settled.topics[0] === events.TaskFailed
      ? Abi.decode(["uint256", "string"], settled.data) : Abi.decode(["uint256"], settled.data);
    step("step-finalized", "failed", `refunded ${rlc(refund[0])} RLC ${where}` +
      (refund[1] ? ` · the pool's reason: ${refund[1]}` : " · nobody answered before the deadline"));
    return;
  }
  const [, workers, , , callbackOk, callbackGas] = Abi.decode(
    ["bytes32", "uint256", "uint256", "uint256", "bool", "uint256"], settled.data);
  const shared = oracle && oracle.batch > 1 ? ` (one transaction for ${oracle.batch} tasks)` : "";
  step("step-finalized", "done", `${where}${shared} · ${workers} worker(s) paid · callback ` +
    `${callbackOk ? "ok" : "failed"} (${callbackGas.toLocaleString("en")} gas)`);
  if (job === null || job === undefined) step("step-computing", "done", "the workers agreed");
  const [found] = Abi.decode(["address"], await ethCall(state.config.dapp,
    Abi.call(state.config.functions["VanityAddress.s_found"], ["bytes32"], [task.id])));
  $("result").hidden = false;
  if (BigInt(found) === 0n) {
    $("found").textContent = "none";
    $("found-detail").textContent = "The contract rejected the workers' answer (VanityRejected): it checks every " +
      "address itself.";
    return;
  }
  $("found").textContent = found;
  $("found-detail").textContent = `read from VanityAddress.s_found(task) at ${state.config.dapp}; stored by ` +
    `transaction ${settled.transactionHash} in block ${block}.`;
}

// ------------------------------------------------------------------ start

async function main() {
  state.config = await (await fetch("/config.json", {cache: "no-store"})).json();
  await connect();
  await refreshAccount();
  $("request-form").addEventListener("submit", pay);
  $("pay").disabled = false;
}

main().catch((error) => say(error.message || String(error)));
