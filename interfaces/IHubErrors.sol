// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IHubTypes} from "./IHubTypes.sol";

/// @title IHubErrors
/// @notice Every way a Hub call can be refused, each with the data needed to tell the caller why.
interface IHubErrors {
    /// @notice No application has this id.
    error UnknownApp(uint64 app);
    /// @notice No dataset has this id.
    error UnknownDataset(uint64 dataset);
    /// @notice No pool has this id.
    error UnknownPool(uint64 pool);
    /// @notice Only `owner` may change this entry.
    error NotOwner(address caller, address owner);
    /// @notice An address that must be set is zero.
    error ZeroAddress();
    /// @notice An application or dataset needs the sha256 of its content: zero would skip the check.
    error ZeroChecksum();
    /// @notice The owner's fee share is above the whole.
    error InvalidFeeShare(uint16 ownerFeeBps, uint16 max);
    /// @notice Trust must be between 1 and `max`.
    error InvalidTrust(uint8 trust, uint8 max);
    /// @notice The asked duration is above the pool's maximum.
    error DurationTooLong(uint64 duration, uint64 maxDuration);
    /// @notice The asked callback gas is above the Hub's maximum.
    error CallbackGasTooHigh(uint32 callbackGasLimit, uint32 max);
    /// @notice The callback address holds no contract: nothing would receive the result.
    error CallbackNotContract(address callback);
    /// @notice The application's arguments are longer than the Hub accepts.
    error ParamsTooLong(uint256 length, uint256 max);
    /// @notice A failure reason is longer than the Hub accepts.
    error ReasonTooLong(uint256 length, uint256 max);
    /// @notice A registry URI is longer than the Hub accepts.
    error UriTooLong(uint256 length, uint256 max);
    /// @notice The task costs more than the requester's maximum.
    error PriceAboveMax(uint256 price, uint256 maxPrice);
    /// @notice A requester paying in its callback sent less than the price.
    error PaymentMissing(uint256 received, uint256 price);
    /// @notice `receiveApproval` was called by something other than RLC.
    error UnsupportedToken(address caller);
    /// @notice The task is not open (already settled, or never requested: a forged request).
    error TaskNotActive(bytes32 taskId, IHubTypes.TaskStatus status);
    /// @notice No task was ever requested with this exact request.
    error UnknownTask(bytes32 taskId);
    /// @notice Only the oracle the task's request names may do this.
    error NotPoolOracle(address caller, uint64 pool, address oracle);
    /// @notice The task's deadline has passed: only claim settles it now.
    error DeadlinePassed(bytes32 taskId, uint64 deadline);
    /// @notice The task's deadline has not passed yet.
    error DeadlineNotReached(bytes32 taskId, uint64 deadline);
    /// @notice The callback data is longer than the Hub accepts.
    error CallbackDataTooLong(uint256 length, uint256 max);
    /// @notice More signatures (or dissents) than one settlement examines.
    error TooManyContributions(uint256 count, uint256 max);
    /// @notice Fewer qualifying signers agreed than the task's trust.
    error NotEnoughContributions(uint256 counted, uint8 trust);
    /// @notice The signature at `index` is not a valid signature.
    error InvalidSignature(uint256 index);
    /// @notice The worker is not (or no longer) a worker of that pool.
    error NotPoolWorker(address worker, uint64 pool);
    /// @notice Two contributions of one worker to one result prove nothing.
    error SameResult(bytes32 resultDigest, bytes32 callbackDataHash);
    /// @notice Two contributions were signed by different workers.
    error DifferentSigners(address first, address second);
    /// @notice The worker had not left its pool when the task was requested.
    error NotSignedAfterLeaving(address worker, uint64 leftAt, uint64 requestedAt);
    /// @notice The caller cannot give the callback its whole gas limit (EIP-150 keeps 1/64).
    error InsufficientGasForCallback(uint256 available, uint256 needed);
    /// @notice The account's escrow balance (with its earnings) is below the amount.
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    /// @notice The worker's stake would be below the pool's minimum.
    error InsufficientStake(address worker, uint256 stake, uint256 minStake);
    /// @notice A worker belongs to one pool at a time.
    error AlreadyInAnotherPool(address worker, uint64 pool);
    /// @notice The account is in no pool.
    error NotInPool(address worker);
    /// @notice The worker already left; its stake unlocks at `unlockAt`.
    error AlreadyLeaving(address worker, uint64 unlockAt);
    /// @notice The stake is locked until `unlockAt` (0: the worker has not left).
    error StakeLocked(address worker, uint64 unlockAt);
    /// @notice An amount must be above zero.
    error ZeroAmount();
    /// @notice The registry half of the Hub runs only as part of the Hub: call the Hub.
    error OnlyThroughHub(address hub);
}
