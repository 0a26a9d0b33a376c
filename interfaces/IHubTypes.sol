// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IHubTypes
/// @notice The records the Hub keeps and the evidence it accepts. Amounts are in nRLC (9
/// decimals); uint64 holds 18 billion RLC, far above RLC's whole supply.
interface IHubTypes {
    /// @notice Where a task stands. A task leaves `Requested` exactly once.
    enum TaskStatus {
        None,
        Requested,
        Finalized,
        Claimed,
        Failed
    }

    /// @notice What a requester asks for.
    struct TaskSpec {
        uint64 app; // registry id of the application
        uint64 dataset; // registry id of the dataset, 0 for none
        uint64 pool; // registry id of the worker pool that computes it
        uint8 trust; // number of agreeing workers required
        uint32 callbackGasLimit; // gas given to the callback
        uint64 duration; // seconds until the deadline, 0 for the pool's maximum
        uint64 maxPrice; // the most the requester accepts to pay
        address callback; // receives onTaskResult, address(0) for none
        address refundTo; // receives the refund on claim or failure
        bytes params; // the application's arguments
    }

    /// @notice Everything about a requested task; the Hub stores only its hash (the task id)
    /// and callers pass it back in full.
    struct TaskRequest {
        address requester;
        address refundTo;
        address callback;
        uint64 app;
        uint64 dataset;
        uint64 pool;
        uint64 appPrice;
        uint64 datasetPrice;
        uint64 poolPrice;
        uint32 callbackGasLimit;
        uint8 trust;
        uint64 deadline;
        uint64 nonce;
        bytes32 paramsHash;
    }

    /// @notice An EIP-2098 compact signature.
    struct Signature {
        bytes32 r;
        bytes32 vs;
    }

    /// @notice A pool worker's signed contribution to a different result: proof it was wrong.
    struct Dissent {
        bytes32 resultDigest;
        bytes32 callbackDataHash;
        Signature signature;
    }

    /// @notice An application or a dataset: who is paid, how much, and where it lives off chain.
    struct Asset {
        address owner;
        uint64 price;
        bytes32 checksum; // sha256 of the binary or the data
        string uri; // the grid app's name or URI, or the dataset's URI
    }

    /// @notice A worker pool run by an oracle next to a scheduler.
    struct Pool {
        address owner;
        uint64 price;
        uint16 ownerFeeBps; // the owner's share of the pool price, in basis points
        address oracle; // the only key that may finalize the pool's tasks
        uint64 minStake;
        uint32 maxDuration; // seconds
    }

    /// @notice A worker's membership: one pool at a time.
    struct Worker {
        uint64 pool;
        uint64 stake;
        uint64 unlockAt; // 0 while active; when its stake can be withdrawn after leaving
    }
}
