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
    event WorkerSlashed(address indexed worker, bytes32 indexed taskId, uint64 amount);

    /// @notice A paid request: `request` is what finalize and claim must be given back.
    event TaskRequested(
        bytes32 indexed taskId, uint64 indexed pool, address indexed requester, IHubTypes.TaskRequest request, bytes params
    );
    /// @notice Workers agreed and everyone was paid; the callback's outcome is recorded, not required.
    event TaskFinalized(
        bytes32 indexed taskId,
        bytes32 resultDigest,
        address[] workers,
        uint256 workerReward,
        uint256 poolOwnerReward,
        bool callbackSucceeded,
        uint256 callbackGasUsed
    );
    event TaskClaimed(bytes32 indexed taskId, address indexed refundTo, uint256 amount);
    event TaskFailed(bytes32 indexed taskId, address indexed refundTo, uint256 amount, string reason);
}
