// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IHubRegistry} from "../../interfaces/IHubRegistry.sol";
import {Delegated} from "./Delegated.sol";

/// @title FaultProofs
/// @notice A worker's own signatures are the only proof that costs it its stake: two different
/// results for one task, or a signature for a task of its pool requested after it had left.
/// Anyone may bring such proof; the stake goes to the task's refund address.
abstract contract FaultProofs is Delegated, IHubRegistry {
    /// @inheritdoc IHubRegistry
    function slashEquivocation(TaskRequest calldata request, Contribution calldata first, Contribution calldata second)
        external
        onlyThroughHub
        nonReentrant
    {
        bytes32 id = _requestedTask(request);
        if (first.resultDigest == second.resultDigest && first.callbackDataHash == second.callbackDataHash) {
            revert SameResult(first.resultDigest, first.callbackDataHash);
        }
        address worker = _signerOf(id, first, 0);
        address other = _signerOf(id, second, 1);
        if (worker != other) revert DifferentSigners(worker, other);
        if (!_slash(worker, id, request.pool, request.refundTo, Fault.Equivocation)) {
            revert NotPoolWorker(worker, request.pool);
        }
    }

    /// @inheritdoc IHubRegistry
    function slashSignedAfterLeaving(TaskRequest calldata request, Contribution calldata contribution)
        external
        onlyThroughHub
        nonReentrant
    {
        bytes32 id = _requestedTask(request);
        address worker = _signerOf(id, contribution, 0);
        Worker memory record = s_workers[worker];
        if (record.pool != request.pool) revert NotPoolWorker(worker, request.pool);
        if (record.leftAt == 0 || request.requestedAt <= record.leftAt) {
            revert NotSignedAfterLeaving(worker, record.leftAt, request.requestedAt);
        }
        _slash(worker, id, request.pool, request.refundTo, Fault.SignedAfterLeaving);
    }

    /// @dev The id of a request that was made (whatever became of it since).
    function _requestedTask(TaskRequest calldata request) private view returns (bytes32 id) {
        id = _idOf(request);
        if (s_tasks[id] == TaskStatus.None) revert UnknownTask(id);
    }

    function _signerOf(bytes32 id, Contribution calldata contribution, uint256 index)
        private
        view
        returns (address signer)
    {
        signer = _recover(
            contributionHash(id, contribution.resultDigest, contribution.callbackDataHash), contribution.signature
        );
        if (signer == address(0)) revert InvalidSignature(index);
    }
}
