// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITaskReceiver} from "../../interfaces/ITaskReceiver.sol";
import {HubState} from "./HubState.sol";

/// @title Settlement
/// @notice Settles a task on the evidence of its workers' EIP-712 signatures. Only active
/// members of the task's pool with the stake and reputation its request asks for count; any
/// other signature is skipped with an event, never a reason to refuse the whole settlement.
/// A worker loses its stake only on its own signatures proving a fault; being outvoted by a
/// majority costs it reputation.
abstract contract Settlement is HubState {
    /*//////////////////////////////////////////////////////////////
                                 LIMITS
    //////////////////////////////////////////////////////////////*/

    uint256 public constant MAX_CALLBACK_DATA_LENGTH = 1024;
    /// @notice Signatures (and, apart, dissents) one settlement examines at most.
    uint256 public constant MAX_CONTRIBUTIONS = 64;
    /// @notice Reputation a worker loses when a majority of the counted signers outvotes it.
    uint32 public constant OUTVOTED_PENALTY = 50;
    // gas the CALL itself may take on top of what the callee gets (cold account, memory)
    uint256 internal constant CALLBACK_CALL_RESERVE = 5_000;

    // what the signatures and dissents of one settlement prove, gathered before anything changes
    struct Tally {
        bytes32 id;
        bytes32 resultDigest;
        bytes32 callbackDataHash;
        bytes refusal; // why the task cannot be settled (an encoded custom error), or empty
        address[] signers; // the signer of each signature (zero: invalid or out of order)
        uint256 countedMask; // bit i: signature i counts
        uint256 counted;
        address[] outvoted; // active members that signed another result
        uint256 outvotedCount;
        address[] faulty; // workers whose own signatures prove a fault
        Fault[] faults;
        uint256 faultCount;
        uint256 workerReward; // paid to each counted signer
        uint256 ownerReward; // paid to the pool owner
    }

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
        Tally memory tally = _examine(request, resultDigest, keccak256(callbackData), callbackData.length, signatures,
            dissents, strict);
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
        tally.resultDigest = resultDigest;
        tally.callbackDataHash = callbackDataHash;
        tally.refusal = _refusal(tally.id, request, dataLength, signatures.length, dissents.length);
        if (tally.refusal.length != 0) return tally;
        uint256 n = signatures.length;
        tally.signers = new address[](n);
        tally.outvoted = new address[](dissents.length);
        tally.faulty = new address[](n + dissents.length);
        tally.faults = new Fault[](n + dissents.length);
        _tally(request, signatures, tally);
        _weighDissents(request, dissents, tally);
        if (tally.counted < request.trust) {
            tally.refusal = abi.encodeWithSelector(NotEnoughContributions.selector, tally.counted, request.trust);
        } else if (!strict && request.callback != address(0)) {
            // a batch checks early, with room for the payments, so that it never has to revert
            uint256 needed = _callbackGasNeeded(request.callbackGasLimit) + 60_000 + 15_000 * tally.counted;
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

    /// @dev Recovers each signer and decides whether it counts; nothing changes but events.
    function _tally(TaskRequest calldata request, Signature[] calldata signatures, Tally memory tally) private {
        bytes32 digest = contributionHash(tally.id, tally.resultDigest, tally.callbackDataHash);
        address previous;
        for (uint256 i; i < signatures.length; ++i) {
            address signer = _recover(digest, signatures[i]);
            if (signer == address(0) || signer <= previous) {
                emit ContributionSkipped(
                    tally.id, signer, signer == address(0) ? SkipReason.BadSignature : SkipReason.NotAscending
                );
                continue;
            }
            previous = signer;
            tally.signers[i] = signer;
            Worker memory worker = s_workers[signer];
            if (worker.pool == request.pool && worker.leftAt == 0 && worker.stake >= request.minStake
                && worker.score >= request.minScore) {
                tally.countedMask |= 1 << i;
                ++tally.counted;
            } else {
                _skipSigner(request, tally, signer, worker);
            }
        }
    }

    function _skipSigner(TaskRequest calldata request, Tally memory tally, address signer, Worker memory worker)
        private
    {
        SkipReason reason = SkipReason.ScoreTooLow;
        if (worker.pool != request.pool) {
            reason = SkipReason.NotPoolMember;
        } else if (worker.leftAt != 0) {
            reason = SkipReason.LeftPool;
            if (request.requestedAt > worker.leftAt) _addFault(tally, signer, Fault.SignedAfterLeaving);
        } else if (worker.stake < request.minStake) {
            reason = SkipReason.StakeTooLow;
        }
        emit ContributionSkipped(tally.id, signer, reason);
    }

    /// @dev Sorts the dissents: a counted signer that also signed another result equivocated
    /// (it no longer counts and is slashed); an active member outvoted loses reputation if a
    /// majority outvoted it; a member that had left before the request signed after leaving.
    function _weighDissents(TaskRequest calldata request, Contribution[] calldata dissents, Tally memory tally) private {
        bytes32 id = tally.id;
        address previous;
        for (uint256 j; j < dissents.length; ++j) {
            Contribution calldata dissent = dissents[j];
            address signer = _recover(
                contributionHash(id, dissent.resultDigest, dissent.callbackDataHash), dissent.signature
            );
            SkipReason reason;
            if (signer == address(0)) {
                reason = SkipReason.BadSignature;
            } else if (dissent.resultDigest == tally.resultDigest && dissent.callbackDataHash == tally.callbackDataHash) {
                reason = SkipReason.AgreesWithResult;
            } else if (signer <= previous) {
                reason = SkipReason.NotAscending;
            } else {
                previous = signer;
                Worker memory worker = s_workers[signer];
                if (worker.pool != request.pool) {
                    reason = SkipReason.NotPoolMember;
                } else {
                    (bool signedBoth, uint256 index) = _indexOf(tally.signers, signer);
                    if (signedBoth) {
                        if (tally.countedMask & (1 << index) != 0) {
                            tally.countedMask &= ~(1 << index);
                            --tally.counted;
                        }
                        _addFault(tally, signer, Fault.Equivocation);
                        continue;
                    }
                    if (worker.leftAt == 0) {
                        tally.outvoted[tally.outvotedCount++] = signer;
                        continue;
                    }
                    if (request.requestedAt > worker.leftAt) {
                        _addFault(tally, signer, Fault.SignedAfterLeaving);
                        continue;
                    }
                    reason = SkipReason.LeftPool;
                }
            }
            emit ContributionSkipped(id, signer, reason);
        }
    }

    /// @dev Slashes the faulty, lowers the reputation of the outvoted (only when the counted
    /// signers outnumber them) and pays every party of the request.
    function _pay(TaskRequest calldata request, Tally memory tally) private {
        bytes32 id = tally.id;
        for (uint256 k; k < tally.faultCount; ++k) {
            _slash(tally.faulty[k], id, request.pool, request.refundTo, tally.faults[k]);
        }
        if (tally.counted > tally.outvotedCount) {
            for (uint256 k; k < tally.outvotedCount; ++k) {
                _outvote(tally.outvoted[k], id);
            }
        }
        _credit(request.appOwner, request.appPrice);
        _credit(request.datasetOwner, request.datasetPrice);
        uint256 counted = tally.counted;
        uint256 workerReward = request.workerPay / counted;
        // the division's remainder goes to the pool owner with its fee
        uint256 ownerReward = request.poolFee + (request.workerPay - workerReward * counted);
        (tally.workerReward, tally.ownerReward) = (workerReward, ownerReward);
        uint256 mask = tally.countedMask;
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0) {
                Worker storage worker = s_workers[tally.signers[i]];
                // cannot overflow: a worker's earnings are part of RLC's supply, far below 2**64
                unchecked {
                    worker.earnings += uint64(workerReward);
                }
                ++worker.score;
            }
            mask >>= 1;
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

    /*//////////////////////////////////////////////////////////////
                                 HELPERS
    //////////////////////////////////////////////////////////////*/

    function _callbackGasNeeded(uint256 gasLimit) internal pure returns (uint256) {
        return gasLimit + gasLimit / 63 + CALLBACK_CALL_RESERVE;
    }

    function _addFault(Tally memory tally, address worker, Fault fault) private pure {
        tally.faulty[tally.faultCount] = worker;
        tally.faults[tally.faultCount] = fault;
        ++tally.faultCount;
    }

    function _indexOf(address[] memory signers, address signer) private pure returns (bool, uint256) {
        for (uint256 i; i < signers.length; ++i) {
            if (signers[i] == signer) return (true, i);
        }
        return (false, 0);
    }
}
