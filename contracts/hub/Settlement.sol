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
    // what a batch keeps aside for a task's payments besides its callback, and per counted signer
    uint256 internal constant SETTLE_GAS = 60_000;
    uint256 internal constant SETTLE_GAS_PER_SIGNER = 15_000;

    // what the signatures and dissents of one settlement prove, gathered before anything changes
    struct Tally {
        bytes32 id;
        bytes32 resultDigest;
        bytes32 callbackDataHash;
        bytes refusal; // why the task cannot be settled (an encoded custom error), or empty
        uint64 pool; // the request's, read once from calldata
        uint64 minStake; // idem
        uint32 minScore; // idem
        // for signature i, at 2i and 2i+1: the storage slot of its signer's record (zero: invalid
        // or out of order) and the record's word as read (see HubState._workerSlot)
        uint256[] records;
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

    /// @dev Recovers each signer and decides whether it counts; nothing changes but events.
    /// The hot loop of a finalize, in assembly: per signature one recovery, one storage read
    /// and a few comparisons, and the slot and word it read kept for the payment.
    function _tally(TaskRequest calldata request, Signature[] calldata signatures, Tally memory tally) private {
        bytes32 digest = contributionHash(tally.id, tally.resultDigest, tally.callbackDataHash);
        // what a counted signer's record word must show, laid out as the word itself: the pool
        // (and no leave time), at least the stake and at least the score the request asks for
        uint256 need = uint256(tally.pool) | (uint256(tally.minStake) << 64) | (uint256(tally.minScore) << 192);
        uint256[] memory records = tally.records;
        address previous;
        uint256 mask;
        uint256 counted;
        for (uint256 i; i < signatures.length; ++i) {
            address signer;
            uint256 word;
            bool counts;
            assembly ("memory-safe") {
                // ecrecover of an EIP-2098 signature (r, vs: the parity in the top bit of vs), as
                // HubState._recover: zero when invalid, and an s in the upper half of the curve
                // order refused (EIP-2: the twin of a valid signature)
                let signature := add(signatures.offset, shl(6, i)) // (r, vs): two words each
                let vs := calldataload(add(signature, 0x20))
                let s := and(vs, 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
                if iszero(gt(s, 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0)) {
                    let ptr := mload(0x40)
                    mstore(ptr, digest)
                    mstore(add(ptr, 0x20), add(shr(255, vs), 27))
                    mstore(add(ptr, 0x40), calldataload(signature))
                    mstore(add(ptr, 0x60), s)
                    mstore(0, 0)
                    pop(staticcall(gas(), 1, ptr, 0x80, 0, 0x20))
                    signer := mload(0)
                }
                // signers ascend strictly, which proves them distinct without a set
                if gt(signer, previous) {
                    mstore(0, signer)
                    mstore(0x20, s_workers.slot)
                    let slot := keccak256(0, 0x40)
                    word := sload(slot)
                    let at := add(records, shl(6, i))
                    mstore(add(at, 0x20), slot)
                    mstore(add(at, 0x40), word)
                    let m64 := 0xffffffffffffffff
                    counts := and(
                        // same pool, and the leave time (top 32 bits) is zero
                        eq(and(word, or(m64, shl(224, 0xffffffff))), and(need, m64)),
                        and(
                            iszero(lt(and(shr(64, word), m64), and(shr(64, need), m64))), // stake
                            iszero(lt(and(shr(192, word), 0xffffffff), shr(192, need))) // score
                        )
                    )
                }
            }
            if (counts) {
                // cannot overflow: at most MAX_CONTRIBUTIONS signatures
                unchecked {
                    mask |= 1 << i;
                    ++counted;
                }
                previous = signer;
            } else if (signer == address(0) || signer <= previous) {
                emit ContributionSkipped(
                    tally.id, signer, signer == address(0) ? SkipReason.BadSignature : SkipReason.NotAscending
                );
            } else {
                previous = signer;
                _skipSigner(request, tally, signer, word);
            }
        }
        (tally.countedMask, tally.counted) = (mask, counted);
    }

    function _skipSigner(TaskRequest calldata request, Tally memory tally, address signer, uint256 word) private {
        SkipReason reason = SkipReason.ScoreTooLow;
        uint64 leftAt = uint64(word >> 224);
        if (uint64(word) != tally.pool) {
            reason = SkipReason.NotPoolMember;
        } else if (leftAt != 0) {
            reason = SkipReason.LeftPool;
            if (request.requestedAt > leftAt) _addFault(tally, signer, Fault.SignedAfterLeaving);
        } else if (uint64(word >> 64) < tally.minStake) {
            reason = SkipReason.StakeTooLow;
        }
        emit ContributionSkipped(tally.id, signer, reason);
    }

    /// @dev Sorts the dissents: a signer of the result that also signed another one equivocated
    /// (it no longer counts and is slashed); an active member outvoted loses reputation if a
    /// majority outvoted it; a member that had left before the request signed after leaving.
    function _weighDissents(TaskRequest calldata request, Contribution[] calldata dissents, Tally memory tally) private {
        tally.outvoted = new address[](dissents.length);
        address previous;
        for (uint256 j; j < dissents.length; ++j) {
            Contribution calldata dissent = dissents[j];
            address signer = _recover(
                contributionHash(tally.id, dissent.resultDigest, dissent.callbackDataHash), dissent.signature
            );
            SkipReason reason;
            if (signer == address(0)) {
                reason = SkipReason.BadSignature;
            } else if (dissent.resultDigest == tally.resultDigest && dissent.callbackDataHash == tally.callbackDataHash)
            {
                reason = SkipReason.AgreesWithResult;
            } else if (signer <= previous) {
                reason = SkipReason.NotAscending;
            } else {
                previous = signer;
                uint256 slot = _workerSlot(signer);
                uint256 word;
                assembly ("memory-safe") {
                    word := sload(slot)
                }
                if (uint64(word) != tally.pool) {
                    reason = SkipReason.NotPoolMember;
                } else {
                    (bool signedBoth, uint256 index) = _indexOf(tally.records, slot);
                    if (signedBoth) {
                        if (tally.countedMask & (1 << index) != 0) {
                            tally.countedMask &= ~(1 << index);
                            --tally.counted;
                        }
                        _addFault(tally, signer, Fault.Equivocation);
                        continue;
                    }
                    uint64 leftAt = uint64(word >> 224);
                    if (leftAt == 0) {
                        tally.outvoted[tally.outvotedCount++] = signer;
                        continue;
                    }
                    if (request.requestedAt > leftAt) {
                        _addFault(tally, signer, Fault.SignedAfterLeaving);
                        continue;
                    }
                    reason = SkipReason.LeftPool;
                }
            }
            emit ContributionSkipped(tally.id, signer, reason);
        }
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

    /*//////////////////////////////////////////////////////////////
                                 HELPERS
    //////////////////////////////////////////////////////////////*/

    function _callbackGasNeeded(uint256 gasLimit) internal pure returns (uint256) {
        return gasLimit + gasLimit / 63 + CALLBACK_CALL_RESERVE;
    }

    function _addFault(Tally memory tally, address worker, Fault fault) private pure {
        if (tally.faulty.length == 0) {
            // rare: sized for every signature and dissent at the first fault
            uint256 room = tally.records.length / 2 + tally.outvoted.length;
            tally.faulty = new address[](room);
            tally.faults = new Fault[](room);
        }
        tally.faulty[tally.faultCount] = worker;
        tally.faults[tally.faultCount] = fault;
        ++tally.faultCount;
    }

    /// @dev Which signature (if any) `slot`'s worker gave.
    function _indexOf(uint256[] memory records, uint256 slot) private pure returns (bool, uint256) {
        for (uint256 i; 2 * i < records.length; ++i) {
            if (records[2 * i] == slot) return (true, i);
        }
        return (false, 0);
    }
}
