// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {HubState} from "./HubState.sol";

/// @title Requests
/// @notice How a task is opened: the terms of every party resolved from the registries and the
/// requester's spec, checked against the Hub's limits, copied into the request (which is hashed,
/// not stored), and the price taken from the payer in the same call.
abstract contract Requests is HubState {
    uint8 public constant MAX_TRUST = 32;
    uint32 public constant MAX_CALLBACK_GAS = 2_000_000;
    uint256 public constant MAX_PARAMS_LENGTH = 4096;

    /// @dev Opens a task on terms already resolved (every field but requestedAt and nonce): the
    /// one place a task is created, whoever resolved its terms. The caller collects the price.
    function _openTask(TaskRequest memory request, bytes memory params) internal returns (bytes32 id) {
        request.requestedAt = uint64(block.timestamp);
        request.nonce = 0;
        id = keccak256(abi.encode(request));
        // identical requests in one block (same requester, terms and time) get the next nonce
        while (s_tasks[id] != TaskStatus.None) {
            ++request.nonce;
            id = keccak256(abi.encode(request));
        }
        s_tasks[id] = TaskStatus.Requested;
        emit TaskRequested(id, request.pool, request.requester, request, params);
    }

    /// @dev The request `requester` makes with `spec`, checked against the registries and limits.
    function _resolve(address requester, TaskSpec memory spec) internal view returns (TaskRequest memory) {
        return _complete(requester, spec, _terms(spec));
    }

    /// @dev Completes `request`, whose parties and prices are resolved (by the registries'
    /// standing prices, or by matched orders), with what `requester` asks in `spec`, once both
    /// are checked against the Hub's limits and the requester's maximum price.
    function _complete(address requester, TaskSpec memory spec, TaskRequest memory request)
        internal
        view
        returns (TaskRequest memory)
    {
        if (spec.trust == 0 || spec.trust > MAX_TRUST) revert InvalidTrust(spec.trust, MAX_TRUST);
        if (request.callbackGasLimit > MAX_CALLBACK_GAS) {
            revert CallbackGasTooHigh(request.callbackGasLimit, MAX_CALLBACK_GAS);
        }
        if (spec.params.length > MAX_PARAMS_LENGTH) revert ParamsTooLong(spec.params.length, MAX_PARAMS_LENGTH);
        if (spec.callback != address(0) && spec.callback.code.length == 0) revert CallbackNotContract(spec.callback);
        uint64 maxDuration = s_pools[spec.pool].maxDuration;
        uint64 duration = spec.duration == 0 ? maxDuration : spec.duration;
        if (duration > maxDuration) revert DurationTooLong(duration, maxDuration);
        uint256 price = _priceOf(request);
        if (price > spec.maxPrice) revert PriceAboveMax(price, spec.maxPrice);
        request.requester = requester;
        request.refundTo = spec.refundTo == address(0) ? requester : spec.refundTo;
        request.callback = spec.callback;
        request.trust = spec.trust;
        request.minScore = spec.minScore;
        if (spec.minStake > request.minStake) request.minStake = spec.minStake;
        request.deadline = uint64(block.timestamp) + duration;
        request.paramsHash = keccak256(spec.params);
        return request;
    }

    /// @dev The parties and prices the registries give `spec` today.
    function _terms(TaskSpec memory spec) internal view returns (TaskRequest memory request) {
        Asset storage app = s_apps[spec.app];
        request.app = spec.app;
        request.appOwner = app.owner;
        if (request.appOwner == address(0)) revert UnknownApp(spec.app);
        request.appPrice = app.price;
        if (spec.dataset != 0) {
            Asset storage dataset = s_datasets[spec.dataset];
            request.dataset = spec.dataset;
            request.datasetOwner = dataset.owner;
            if (request.datasetOwner == address(0)) revert UnknownDataset(spec.dataset);
            request.datasetPrice = dataset.price;
        }
        Pool storage pool = s_pools[spec.pool];
        request.pool = spec.pool;
        request.poolOwner = pool.owner;
        if (request.poolOwner == address(0)) revert UnknownPool(spec.pool);
        request.oracle = pool.oracle;
        request.minStake = pool.minStake;
        // callback gas is paid for only when there is a callback to spend it
        request.callbackGasLimit = spec.callback == address(0) ? 0 : spec.callbackGasLimit;
        (request.workerPay, request.poolFee) =
            _poolPay(pool.price, spec.trust, pool.ownerFeeBps, request.callbackGasLimit, pool.callbackGasPrice);
    }

    /// @dev What the pool is paid for a task at `pricePerReplica` and `callbackGasPrice`: the
    /// workers' pay for `trust` replicas less the owner's fee, and that fee plus the callback gas.
    function _poolPay(
        uint256 pricePerReplica,
        uint256 trust,
        uint16 ownerFeeBps,
        uint256 callbackGasLimit,
        uint256 callbackGasPrice
    ) internal pure returns (uint64 workerPay, uint64 poolFee) {
        uint256 replicas = pricePerReplica * trust;
        uint256 fee = replicas * ownerFeeBps / MAX_OWNER_FEE_BPS;
        workerPay = SafeCast.toUint64(replicas - fee);
        poolFee = SafeCast.toUint64(fee + callbackGasLimit * callbackGasPrice);
    }

    /// @dev Takes a new task's `price` from `payer`: from its balance when allowed and enough,
    /// otherwise by a transfer from `payer` in this very call.
    function _collect(address payer, uint256 price, bool fromBalance) internal {
        if (fromBalance) {
            uint256 balance = s_balances[payer];
            if (balance >= price) {
                // cannot underflow: checked just above; the locked price replaces the balance
                unchecked {
                    s_balances[payer] = balance - price;
                }
                return;
            }
        }
        _pull(payer, price);
    }

    function _priceOf(TaskRequest memory request) internal pure returns (uint256) {
        return uint256(request.appPrice) + request.datasetPrice + request.workerPay + request.poolFee;
    }
}
