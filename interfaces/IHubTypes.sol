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

    /// @notice Why a signature given to finalize was not counted (the settlement goes on without it).
    enum SkipReason {
        BadSignature, // not a valid signature
        NotAscending, // signers must be in ascending order; a repeated signer lands here
        NotPoolMember, // the signer is not a worker of the task's pool
        LeftPool, // the signer has left the pool
        StakeTooLow, // the signer's stake is below the task's minimum
        ScoreTooLow, // the signer's reputation is below the task's minimum
        AgreesWithResult // a dissent that signs the finalized result itself
    }

    /// @notice What a worker was slashed for: both are proven by its own signatures.
    enum Fault {
        Equivocation, // it signed two different results for one task
        SignedAfterLeaving // it signed for a task of its pool requested after it had left
    }

    /// @notice What a requester asks for.
    struct TaskSpec {
        uint64 app; // registry id of the application
        uint64 dataset; // registry id of the dataset, 0 for none
        uint64 pool; // registry id of the worker pool that computes it
        uint8 trust; // number of agreeing workers required
        uint64 minStake; // each signer's stake must be at least this (and the pool's minimum)
        uint32 minScore; // each signer's reputation must be at least this
        uint32 callbackGasLimit; // gas given to the callback
        uint64 duration; // seconds until the deadline, 0 for the pool's maximum
        uint64 maxPrice; // the most the requester accepts to pay
        address callback; // a contract that receives onTaskResult, address(0) for none
        address refundTo; // receives the refund on claim or failure, address(0) for the requester
        bytes params; // the application's arguments
    }

    /// @notice Everything about a requested task, the terms of every party fixed when it was
    /// requested. The Hub stores only its hash (the task id); callers pass it back in full.
    /// The price is appPrice + datasetPrice + workerPay + poolFee.
    struct TaskRequest {
        address requester; // who asked (and is called back as such)
        address refundTo; // who gets the price back on claim or failure, and slashed stakes
        address callback; // the contract called with the result, or address(0)
        uint32 callbackGasLimit; // the gas the callback gets
        uint8 trust; // the agreeing signers needed
        uint64 minStake; // each signer's minimum stake (the pool's or the requester's, the higher)
        uint32 minScore; // each signer's minimum reputation
        uint64 app;
        address appOwner; // paid appPrice
        uint64 appPrice;
        uint64 dataset; // 0 for none
        address datasetOwner; // paid datasetPrice
        uint64 datasetPrice;
        uint64 pool;
        address poolOwner; // paid poolFee and what the division leaves
        address oracle; // the only key that may finalize or report a failure
        uint64 workerPay; // the pool's price per replica times trust, less the owner's fee: shared by the signers
        uint64 poolFee; // the owner's fee on that, plus callbackGasLimit times the pool's callback gas price
        uint64 requestedAt; // block time of the request
        uint64 deadline; // after it, only claim (a full refund) settles the task
        uint64 nonce; // 0, or more to tell apart identical requests in one block
        bytes32 paramsHash; // keccak256 of the application's arguments
    }

    /// @notice An EIP-2098 compact signature.
    struct Signature {
        bytes32 r;
        bytes32 vs;
    }

    /// @notice A worker's signed contribution to a result of a task (the EIP-712 `Contribution`
    /// without the task id, which the context gives).
    struct Contribution {
        bytes32 resultDigest;
        bytes32 callbackDataHash;
        Signature signature;
    }

    /// @notice One task of a `finalizeBatch`: what `finalize` takes for it.
    struct Finalization {
        TaskRequest request;
        bytes32 resultDigest;
        bytes callbackData;
        Signature[] signatures;
        Contribution[] dissents;
    }

    /// @notice One task of a `reportFailureBatch`: what `reportFailure` takes for it.
    struct Failure {
        TaskRequest request;
        string reason;
    }

    /// @notice An application or a dataset: who is paid, how much, and where it lives off chain.
    struct Asset {
        address owner;
        uint64 price;
        bytes32 checksum; // sha256 of the binary or the data; never zero
        string uri; // the grid app's name or URI, or the dataset's URI
    }

    /// @notice A worker pool run by an oracle next to a scheduler. A task's request copies these
    /// terms: changing them never touches a task already requested. (Two storage slots: a
    /// request reads both.)
    struct Pool {
        address owner;
        uint48 price; // nRLC per replica (at most 281,474 RLC): a task at trust t pays t times this
        uint16 ownerFeeBps; // the owner's share of the pool price, in basis points
        uint32 maxDuration; // seconds; also how long a leaving worker's stake stays locked
        address oracle; // the only key that may finalize the pool's tasks
        uint64 minStake;
        uint32 callbackGasPrice; // nRLC per unit of callback gas the requester asks for
    }

    /// @notice A worker's membership (one pool at a time), its earnings and its reputation.
    struct Worker {
        uint64 pool;
        uint64 stake;
        uint64 earnings; // nRLC earned and not yet withdrawn
        uint32 score; // reputation: +1 per counted contribution, less when outvoted
        uint32 leftAt; // 0 while active; the block time it left at
    }
}
