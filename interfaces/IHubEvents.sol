// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IHubTypes} from "./IHubTypes.sol";

/// @title IHubEvents
/// @notice Every state change of the Hub, for the oracle and for dashboards.
interface IHubEvents {
    event AppRegistered(uint64 indexed app, address indexed owner, uint64 price, bytes32 checksum, string uri);
    event DatasetRegistered(
        uint64 indexed dataset, address indexed owner, uint64 price, bytes32 checksum, string uri
    );
    event AppPriceChanged(uint64 indexed app, uint64 price);
    event DatasetPriceChanged(uint64 indexed dataset, uint64 price);
    event PoolRegistered(uint64 indexed pool, address indexed owner, IHubTypes.Pool config);
    event PoolUpdated(uint64 indexed pool, IHubTypes.Pool config);

    event Deposited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event WorkerJoined(address indexed worker, uint64 indexed pool, uint64 stake);
    event WorkerLeaving(address indexed worker, uint64 indexed pool, uint64 unlockAt);
    event StakeWithdrawn(address indexed worker, uint64 indexed pool, uint64 amount);
    /// @notice A worker lost its whole stake to `beneficiary` (the task's refund address) and
    /// left its pool, on proof of its own `fault`.
    event WorkerSlashed(
        address indexed worker, bytes32 indexed taskId, uint64 amount, IHubTypes.Fault fault, address beneficiary
    );
    /// @notice A pool worker signed another result than the one a majority finalized: its
    /// reputation is now `score`.
    event WorkerOutvoted(address indexed worker, bytes32 indexed taskId, uint32 score);

    /// @notice A paid request: `request` is what finalize and claim must be given back.
    event TaskRequested(
        bytes32 indexed taskId, uint64 indexed pool, address indexed requester, IHubTypes.TaskRequest request, bytes params
    );
    /// @notice Workers agreed and everyone was paid; the callback's outcome is recorded, not
    /// required. `workers` signers were counted, each earning `workerReward` and one point of
    /// reputation (they are the ascending signers of the finalize call not named in a
    /// ContributionSkipped or WorkerSlashed event of the same transaction).
    event TaskFinalized(
        bytes32 indexed taskId,
        bytes32 resultDigest,
        uint256 workers,
        uint256 workerReward,
        uint256 poolOwnerReward,
        bool callbackSucceeded,
        uint256 callbackGasUsed
    );
    /// @notice A signature or dissent given to a settlement was left out, and why
    /// (`worker` is zero when no signer could be recovered).
    event ContributionSkipped(bytes32 indexed taskId, address indexed worker, IHubTypes.SkipReason reason);
    /// @notice A task of a batch could not be settled; `reason` is the custom error a single
    /// call would have reverted with. Nothing of that task changed.
    event TaskSkipped(bytes32 indexed taskId, bytes reason);
    event TaskClaimed(bytes32 indexed taskId, address indexed refundTo, uint256 amount);
    event TaskFailed(bytes32 indexed taskId, address indexed refundTo, uint256 amount, string reason);
}
