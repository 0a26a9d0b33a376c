// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITaskReceiver} from "../../interfaces/ITaskReceiver.sol";
import {Evidence} from "./Evidence.sol";

/// @title Settlement
/// @notice Settles a task on what its workers' signatures prove (see Evidence): every check
/// first, then the payments, then the callback. A worker loses its stake only on its own
/// signatures proving a fault; being outvoted by a majority costs it reputation.
abstract contract Settlement is Evidence {
    /*//////////////////////////////////////////////////////////////
                                 LIMITS
    //////////////////////////////////////////////////////////////*/

    uint256 public constant MAX_CALLBACK_DATA_LENGTH = 1024;
    /// @notice Reputation a worker loses when a majority of the counted signers outvotes it.
    uint32 public constant OUTVOTED_PENALTY = 50;
    // gas the CALL itself may take on top of what the callee gets (cold account, memory)
    uint256 internal constant CALLBACK_CALL_RESERVE = 5_000;
    // what a batch keeps aside for a task's payments besides its callback, and per counted signer
    uint256 internal constant SETTLE_GAS = 60_000;
    uint256 internal constant SETTLE_GAS_PER_SIGNER = 15_000;

    /*//////////////////////////////////////////////////////////////
                                FINALIZE
    //////////////////////////////////////////////////////////////*/

    /// @dev Finalizes one task. Every check comes before the first change, so that when
    /// `strict` is false a task that cannot be settled is skipped (TaskSkipped with the error a
    /// strict call reverts with) and nothing of it changes.
    function _finalize(
        TaskRequest calldata request,
        bytes32 resultDigest,
        bytes calldata callbackData,
        Signature[] calldata signatures,
        Contribution[] calldata dissents,
        bool strict
    ) internal returns (bool) {
        Tally memory tally = _examine(
            request, resultDigest, keccak256(callbackData), callbackData.length, signatures, dissents, strict
        );
        if (tally.refusal.length != 0) return _refuse(tally.id, tally.refusal, strict);
        s_tasks[tally.id] = TaskStatus.Finalized;
        _pay(request, tally);
        (bool callbackSucceeded, uint256 callbackGasUsed) = _callBack(tally.id, request, resultDigest, callbackData);
        emit TaskFinalized(
            tally.id, resultDigest, tally.counted, tally.workerReward, tally.ownerReward, callbackSucceeded,
            callbackGasUsed
        );
        return true;
    }

    /// @dev Everything the evidence proves, or why it cannot settle the task (tally.refusal);
    /// nothing changes but events.
    function _examine(
        TaskRequest calldata request,
        bytes32 resultDigest,
        bytes32 callbackDataHash,
        uint256 dataLength,
        Signature[] calldata signatures,
        Contribution[] calldata dissents,
        bool strict
    ) private returns (Tally memory tally) {
        tally.id = _idOf(request);
        tally.refusal = _refusal(tally.id, request, dataLength, signatures.length, dissents.length);
        if (tally.refusal.length != 0) return tally;
        tally.resultDigest = resultDigest;
        tally.callbackDataHash = callbackDataHash;
        (tally.pool, tally.minStake, tally.minScore) = (request.pool, request.minStake, request.minScore);
        tally.records = new uint256[](2 * signatures.length);
        _tally(request, signatures, tally);
        if (dissents.length != 0) _weighDissents(request, dissents, tally);
        if (tally.counted < request.trust) {
            tally.refusal = abi.encodeWithSelector(NotEnoughContributions.selector, tally.counted, request.trust);
        } else if (!strict && request.callback != address(0)) {
            // a batch checks early, with room for the payments, so that it never has to revert
            uint256 needed =
                _callbackGasNeeded(request.callbackGasLimit) + SETTLE_GAS + SETTLE_GAS_PER_SIGNER * tally.counted;
            if (gasleft() < needed) {
                tally.refusal = abi.encodeWithSelector(InsufficientGasForCallback.selector, gasleft(), needed);
            }
        }
    }

    /// @dev Why the task cannot be finalized by this call, as an encoded custom error (empty: it can).
    function _refusal(bytes32 id, TaskRequest calldata request, uint256 dataLength, uint256 signatures, uint256 dissents)
        private
        view
        returns (bytes memory)
    {
        TaskStatus status = s_tasks[id];
        if (status != TaskStatus.Requested) {
            return abi.encodeWithSelector(TaskNotActive.selector, id, status);
        }
        if (block.timestamp > request.deadline) {
            return abi.encodeWithSelector(DeadlinePassed.selector, id, request.deadline);
        }
        if (msg.sender != request.oracle) {
            return abi.encodeWithSelector(NotPoolOracle.selector, msg.sender, request.pool, request.oracle);
        }
        if (dataLength > MAX_CALLBACK_DATA_LENGTH) {
            return abi.encodeWithSelector(CallbackDataTooLong.selector, dataLength, MAX_CALLBACK_DATA_LENGTH);
        }
        uint256 count = signatures > dissents ? signatures : dissents;
        if (count > MAX_CONTRIBUTIONS) {
            return abi.encodeWithSelector(TooManyContributions.selector, count, MAX_CONTRIBUTIONS);
        }
        return "";
    }

    /// @dev Reverts with `error` when strict; otherwise records the skip and returns false.
    function _refuse(bytes32 id, bytes memory error, bool strict) internal returns (bool) {
        if (strict) {
            assembly ("memory-safe") {
                revert(add(error, 0x20), mload(error))
            }
        }
        emit TaskSkipped(id, error);
        return false;
    }

    /// @dev Slashes the faulty, lowers the reputation of the outvoted (only when the counted
    /// signers outnumber them) and pays every party of the request.
    function _pay(TaskRequest calldata request, Tally memory tally) private {
        for (uint256 k; k < tally.faultCount; ++k) {
            _slash(tally.faulty[k], tally.id, tally.pool, request.refundTo, tally.faults[k]);
        }
        if (tally.counted > tally.outvotedCount) {
            for (uint256 k; k < tally.outvotedCount; ++k) {
                _outvote(tally.outvoted[k], tally.id);
            }
        }
        _credit(request.appOwner, request.appPrice);
        _credit(request.datasetOwner, request.datasetPrice);
        uint256 counted = tally.counted;
        uint256 workerPay = request.workerPay;
        uint256 workerReward = workerPay / counted;
        // the division's remainder goes to the pool owner with its fee
        uint256 ownerReward = request.poolFee + workerPay % counted;
        (tally.workerReward, tally.ownerReward) = (workerReward, ownerReward);
        // each counted signer's record, as read, gains its reward and a point of reputation;
        // the earnings field cannot carry into the score: earnings and rewards are parts of
        // the RLC this Hub holds, far below 2**64
        uint256 earned = workerReward << 128;
        uint256[] memory records = tally.records;
        uint256 mask = tally.countedMask;
        assembly ("memory-safe") {
            for { let i := 0 } mask { i := add(i, 1) } {
                if and(mask, 1) {
                    let at := add(records, shl(6, i))
                    let word := add(mload(add(at, 0x40)), earned)
                    // a point of reputation, unless the score (bits 192-223) is already at its maximum
                    if lt(and(shr(192, word), 0xffffffff), 0xffffffff) { word := add(word, shl(192, 1)) }
                    sstore(mload(add(at, 0x20)), word)
                }
                mask := shr(1, mask)
            }
        }
        _credit(request.poolOwner, ownerReward);
    }

    function _outvote(address worker, bytes32 id) private {
        Worker storage record = s_workers[worker];
        uint32 score = record.score;
        score = score > OUTVOTED_PENALTY ? score - OUTVOTED_PENALTY : 0;
        record.score = score;
        emit WorkerOutvoted(worker, id, score);
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
        uint256 needed = _callbackGasNeeded(gasLimit);
        if (gasleft() < needed) revert InsufficientGasForCallback(gasleft(), needed);
        uint256 before = gasleft();
        assembly ("memory-safe") {
            // no return data is copied: a callback cannot make the Hub pay for a huge reply
            succeeded := call(gasLimit, target, 0, add(payload, 0x20), mload(payload), 0, 0)
        }
        gasUsed = before - gasleft();
    }

    function _callbackGasNeeded(uint256 gasLimit) internal pure returns (uint256) {
        return gasLimit + gasLimit / 63 + CALLBACK_CALL_RESERVE;
    }
}
