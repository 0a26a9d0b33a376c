// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IHub} from "../../interfaces/IHub.sol";
import {IApprovalReceiver} from "../../interfaces/IApprovalReceiver.sol";
import {ITaskReceiver} from "../../interfaces/ITaskReceiver.sol";
import {Escrow} from "./Escrow.sol";
import {WorkerStakes} from "./WorkerStakes.sol";

/// @title Hub
/// @notice Takes paid requests, locks their price, and settles them exactly once: finalized by
/// the pool's oracle with the signatures of enough distinct workers of the pool, refunded by
/// anyone after the deadline, or refunded early when the oracle reports it cannot serve.
/// The Hub stores only the hash of each request (its id); callers give the request back.
contract Hub is IHub, IApprovalReceiver, WorkerStakes, EIP712 {
    /*//////////////////////////////////////////////////////////////
                                 LIMITS
    //////////////////////////////////////////////////////////////*/

    bytes32 public constant CONTRIBUTION_TYPEHASH =
        keccak256("Contribution(bytes32 taskId,bytes32 resultDigest,bytes32 callbackDataHash)");
    uint8 public constant MAX_TRUST = 32;
    uint32 public constant MAX_CALLBACK_GAS = 2_000_000;
    uint256 public constant MAX_PARAMS_LENGTH = 4096;
    uint256 public constant MAX_CALLBACK_DATA_LENGTH = 1024;
    uint256 public constant MAX_REASON_LENGTH = 256;
    // gas the CALL itself may take on top of what the callee gets (cold account, memory)
    uint256 private constant CALLBACK_CALL_RESERVE = 5_000;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    mapping(bytes32 taskId => TaskStatus) public s_tasks;

    // who was paid what on a finalize, for its event
    struct Settlement {
        address[] workers;
        uint256 workerReward;
        uint256 ownerReward;
    }

    constructor(IERC20 rlcToken) Escrow(rlcToken) EIP712("CumulusHub", "1") {}

    /*//////////////////////////////////////////////////////////////
                                REQUESTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IHub
    function requestTask(TaskSpec calldata spec) external nonReentrant returns (bytes32 taskId) {
        return _request(msg.sender, spec);
    }

    /// @notice RLC's `approveAndCall` lands here: `data` is an ABI-encoded TaskSpec and `from`
    /// becomes the requester and payer, so paying and requesting is one transaction.
    function receiveApproval(address from, uint256, address token, bytes calldata data) external nonReentrant {
        if (msg.sender != address(i_rlc) || token != address(i_rlc)) revert UnsupportedToken(msg.sender);
        _request(from, abi.decode(data, (TaskSpec)));
    }

    /// @inheritdoc IHub
    function quote(uint64 app, uint64 dataset, uint64 pool) external view returns (uint256) {
        (uint64 appPrice, uint64 datasetPrice, Pool storage config) = _prices(app, dataset, pool);
        return uint256(appPrice) + datasetPrice + config.price;
    }

    /*//////////////////////////////////////////////////////////////
                               SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IHub
    /// @dev The signatures are EIP-712 `Contribution`s over (task id, result digest, hash of the
    /// callback data) by distinct workers of the pool, in ascending signer order; `dissents`
    /// are pool workers' signatures over another result for the same task, and cost them their
    /// stake, which goes to the agreeing workers.
    function finalize(
        TaskRequest calldata request,
        bytes32 resultDigest,
        bytes calldata callbackData,
        Signature[] calldata signatures,
        Dissent[] calldata dissents
    ) external nonReentrant {
        bytes32 taskId = _activeTask(request);
        if (block.timestamp > request.deadline) revert DeadlinePassed(taskId, request.deadline);
        Pool storage pool = _checkOracle(request.pool);
        if (callbackData.length > MAX_CALLBACK_DATA_LENGTH) {
            revert CallbackDataTooLong(callbackData.length, MAX_CALLBACK_DATA_LENGTH);
        }
        if (signatures.length < request.trust) revert NotEnoughContributions(signatures.length, request.trust);
        s_tasks[taskId] = TaskStatus.Finalized;

        Settlement memory settlement =
            _settle(taskId, request, pool, resultDigest, keccak256(callbackData), signatures, dissents);
        (bool callbackSucceeded, uint256 callbackGasUsed) = _callBack(taskId, request, resultDigest, callbackData);
        emit TaskFinalized(
            taskId,
            resultDigest,
            settlement.workers,
            settlement.workerReward,
            settlement.ownerReward,
            callbackSucceeded,
            callbackGasUsed
        );
    }

    /// @inheritdoc IHub
    function claim(TaskRequest calldata request) external nonReentrant {
        bytes32 taskId = _activeTask(request);
        if (block.timestamp <= request.deadline) revert DeadlineNotReached(taskId, request.deadline);
        s_tasks[taskId] = TaskStatus.Claimed;
        uint256 amount = _price(request);
        _send(request.refundTo, amount);
        emit TaskClaimed(taskId, request.refundTo, amount);
    }

    /// @notice Refunds a task the pool cannot serve (unknown app on the grid, checksum mismatch,
    /// every worker failing) before its deadline; the pool's oracle only.
    /// @param request The task, as emitted in TaskRequested.
    /// @param reason Why, for the requester (at most MAX_REASON_LENGTH bytes).
    function reportFailure(TaskRequest calldata request, string calldata reason) external nonReentrant {
        bytes32 taskId = _activeTask(request);
        if (block.timestamp > request.deadline) revert DeadlinePassed(taskId, request.deadline);
        _checkOracle(request.pool);
        if (bytes(reason).length > MAX_REASON_LENGTH) revert ParamsTooLong(bytes(reason).length, MAX_REASON_LENGTH);
        s_tasks[taskId] = TaskStatus.Failed;
        uint256 amount = _price(request);
        _send(request.refundTo, amount);
        emit TaskFailed(taskId, request.refundTo, amount, reason);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IHub
    function rlc() external view returns (IERC20) {
        return i_rlc;
    }

    /// @inheritdoc IHub
    function taskStatus(bytes32 taskId) external view returns (TaskStatus) {
        return s_tasks[taskId];
    }

    /// @notice The task id of a request: the hash the Hub stores.
    function taskIdOf(TaskRequest calldata request) external pure returns (bytes32) {
        return keccak256(abi.encode(request));
    }

    /// @notice The EIP-712 digest a worker signs for a contribution.
    function contributionHash(bytes32 task, bytes32 resultDigest, bytes32 callbackDataHash)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(CONTRIBUTION_TYPEHASH, task, resultDigest, callbackDataHash)));
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _request(address requester, TaskSpec memory spec) private returns (bytes32 id) {
        (uint64 appPrice, uint64 datasetPrice, Pool storage pool) = _prices(spec.app, spec.dataset, spec.pool);
        if (spec.trust == 0 || spec.trust > MAX_TRUST) revert InvalidTrust(spec.trust, MAX_TRUST);
        if (spec.callbackGasLimit > MAX_CALLBACK_GAS) revert CallbackGasTooHigh(spec.callbackGasLimit, MAX_CALLBACK_GAS);
        if (spec.params.length > MAX_PARAMS_LENGTH) revert ParamsTooLong(spec.params.length, MAX_PARAMS_LENGTH);
        uint64 maxDuration = pool.maxDuration;
        uint64 duration = spec.duration == 0 ? maxDuration : spec.duration;
        if (duration > maxDuration) revert DurationTooLong(duration, maxDuration);
        uint64 poolPrice = pool.price;
        uint256 price = uint256(appPrice) + datasetPrice + poolPrice;
        if (price > spec.maxPrice) revert PriceAboveMax(price, spec.maxPrice);

        TaskRequest memory request = TaskRequest({
            requester: requester,
            refundTo: spec.refundTo == address(0) ? requester : spec.refundTo,
            callback: spec.callback,
            app: spec.app,
            dataset: spec.dataset,
            pool: spec.pool,
            appPrice: appPrice,
            datasetPrice: datasetPrice,
            poolPrice: poolPrice,
            callbackGasLimit: spec.callbackGasLimit,
            trust: spec.trust,
            deadline: uint64(block.timestamp) + duration,
            nonce: _collect(requester, price),
            paramsHash: keccak256(spec.params)
        });
        id = keccak256(abi.encode(request));
        s_tasks[id] = TaskStatus.Requested;
        emit TaskRequested(id, spec.pool, requester, request, spec.params);
    }

    function _prices(uint64 app, uint64 dataset, uint64 pool)
        private
        view
        returns (uint64 appPrice, uint64 datasetPrice, Pool storage config)
    {
        Asset storage appRecord = s_apps[app];
        if (appRecord.owner == address(0)) revert UnknownApp(app);
        appPrice = appRecord.price;
        if (dataset != 0) {
            Asset storage datasetRecord = s_datasets[dataset];
            if (datasetRecord.owner == address(0)) revert UnknownDataset(dataset);
            datasetPrice = datasetRecord.price;
        }
        config = s_pools[pool];
        if (config.owner == address(0)) revert UnknownPool(pool);
    }

    function _price(TaskRequest calldata request) private pure returns (uint256) {
        return uint256(request.appPrice) + request.datasetPrice + request.poolPrice;
    }

    function _activeTask(TaskRequest calldata request) private view returns (bytes32 id) {
        id = keccak256(abi.encode(request));
        TaskStatus status = s_tasks[id];
        if (status != TaskStatus.Requested) revert TaskNotActive(id, status);
    }

    function _checkOracle(uint64 poolId) private view returns (Pool storage pool) {
        pool = s_pools[poolId];
        address oracle = pool.oracle;
        if (msg.sender != oracle) revert NotPoolOracle(msg.sender, poolId, oracle);
    }

    function _settle(
        bytes32 id,
        TaskRequest calldata request,
        Pool storage pool,
        bytes32 resultDigest,
        bytes32 callbackDataHash,
        Signature[] calldata signatures,
        Dissent[] calldata dissents
    ) private returns (Settlement memory settlement) {
        settlement.workers =
            _verifyContributions(id, request.pool, pool.minStake, resultDigest, callbackDataHash, signatures);
        uint256 slashed = _slashDissenters(id, request.pool, resultDigest, callbackDataHash, dissents);
        (settlement.workerReward, settlement.ownerReward) =
            _payParticipants(request, pool, settlement.workers, slashed, dissents.length != 0);
    }

    function _verifyContributions(
        bytes32 id,
        uint64 pool,
        uint64 minStake,
        bytes32 resultDigest,
        bytes32 callbackDataHash,
        Signature[] calldata signatures
    ) private view returns (address[] memory workers) {
        bytes32 digest = contributionHash(id, resultDigest, callbackDataHash);
        workers = new address[](signatures.length);
        address previous;
        for (uint256 i; i < signatures.length; ++i) {
            address signer = _recover(digest, signatures[i], i);
            // ascending order proves the signers distinct without a set
            if (signer <= previous) revert SignersNotAscending(previous, signer);
            Worker memory worker = s_workers[signer];
            if (worker.pool != pool) revert NotPoolWorker(signer, pool);
            if (worker.stake < minStake) revert StakeBelowMinimum(signer, worker.stake, minStake);
            workers[i] = signer;
            previous = signer;
        }
    }

    function _slashDissenters(
        bytes32 id,
        uint64 pool,
        bytes32 resultDigest,
        bytes32 callbackDataHash,
        Dissent[] calldata dissents
    ) private returns (uint256 slashed) {
        for (uint256 i; i < dissents.length; ++i) {
            Dissent calldata dissent = dissents[i];
            bytes32 digest = contributionHash(id, dissent.resultDigest, dissent.callbackDataHash);
            address signer = _recover(digest, dissent.signature, i);
            if (dissent.resultDigest == resultDigest && dissent.callbackDataHash == callbackDataHash) {
                revert DissentAgreesWithResult(signer);
            }
            slashed += _slash(signer, pool, id);
        }
    }

    function _payParticipants(
        TaskRequest calldata request,
        Pool storage pool,
        address[] memory workers,
        uint256 slashed,
        bool anySlashed
    ) private returns (uint256 workerReward, uint256 ownerReward) {
        _credit(s_apps[request.app].owner, request.appPrice);
        if (request.dataset != 0) _credit(s_datasets[request.dataset].owner, request.datasetPrice);
        ownerReward = uint256(request.poolPrice) * pool.ownerFeeBps / MAX_OWNER_FEE_BPS;
        uint256 pot = request.poolPrice - ownerReward + slashed;
        workerReward = pot / workers.length;
        ownerReward += pot - workerReward * workers.length; // the division's remainder
        for (uint256 i; i < workers.length; ++i) {
            // a signer slashed just now also signed another result: it is not paid for this one
            if (!anySlashed || s_workers[workers[i]].pool == request.pool) _credit(workers[i], workerReward);
            else ownerReward += workerReward;
        }
        _credit(pool.owner, ownerReward);
    }

    function _callBack(bytes32 id, TaskRequest calldata request, bytes32 resultDigest, bytes calldata callbackData)
        private
        returns (bool succeeded, uint256 gasUsed)
    {
        address target = request.callback;
        if (target == address(0)) return (true, 0);
        uint256 gasLimit = request.callbackGasLimit;
        bytes memory payload =
            abi.encodeCall(ITaskReceiver.onTaskResult, (id, request.requester, resultDigest, callbackData));
        // a CALL passes on at most 63/64 of the gas left (EIP-150): refuse to run unless the
        // callee can get its whole limit, so the caller cannot starve it into failing
        uint256 needed = gasLimit + gasLimit / 63 + CALLBACK_CALL_RESERVE;
        if (gasleft() < needed) revert InsufficientGasForCallback(gasleft(), needed);
        uint256 before = gasleft();
        assembly ("memory-safe") {
            // no return data is copied: a callback cannot make the Hub pay for a huge reply
            succeeded := call(gasLimit, target, 0, add(payload, 0x20), mload(payload), 0, 0)
        }
        gasUsed = before - gasleft();
    }

    function _recover(bytes32 digest, Signature calldata signature, uint256 index) private pure returns (address) {
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecover(digest, signature.r, signature.vs);
        if (error != ECDSA.RecoverError.NoError) revert InvalidSignature(index);
        return signer;
    }
}
