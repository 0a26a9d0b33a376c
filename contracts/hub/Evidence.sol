// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {HubState} from "./HubState.sol";

/// @title Evidence
/// @notice What the EIP-712 signatures and dissents given to a settlement prove, gathered
/// before anything changes. Only active members of the task's pool with the stake and
/// reputation its request asks for count; any other signature is skipped with an event, never
/// a reason to refuse the whole settlement.
abstract contract Evidence is HubState {
    /// @notice Signatures (and, apart, dissents) one settlement examines at most.
    uint256 public constant MAX_CONTRIBUTIONS = 64;

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

    /// @dev Recovers each signer and decides whether it counts; nothing changes but events.
    /// The hot loop of a finalize, in assembly: per signature one recovery, one storage read
    /// and a few comparisons, and the slot and word it read kept for the payment.
    function _tally(TaskRequest calldata request, Signature[] calldata signatures, Tally memory tally) internal {
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
    function _weighDissents(TaskRequest calldata request, Contribution[] calldata dissents, Tally memory tally)
        internal
    {
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
