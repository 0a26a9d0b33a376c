// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IHubTypes} from "./IHubTypes.sol";

/// @title IHubErrors
/// @notice Every way a Hub call can be refused, each with the data needed to tell the caller why.
interface IHubErrors {
    error UnknownApp(uint64 app);
    error UnknownDataset(uint64 dataset);
    error UnknownPool(uint64 pool);
    error NotOwner(address caller, address owner);
    error ZeroAddress();
    error InvalidFeeShare(uint16 ownerFeeBps, uint16 max);
    error InvalidTrust(uint8 trust, uint8 max);
    error DurationTooLong(uint64 duration, uint64 maxDuration);
    error CallbackGasTooHigh(uint32 callbackGasLimit, uint32 max);
    error ParamsTooLong(uint256 length, uint256 max);
    error UriTooLong(uint256 length, uint256 max);
    error PriceAboveMax(uint256 price, uint256 maxPrice);
    error UnsupportedToken(address caller);
    error TaskNotActive(bytes32 taskId, IHubTypes.TaskStatus status);
    error NotPoolOracle(address caller, uint64 pool, address oracle);
    error DeadlinePassed(bytes32 taskId, uint64 deadline);
    error DeadlineNotReached(bytes32 taskId, uint64 deadline);
    error CallbackDataTooLong(uint256 length, uint256 max);
    error NotEnoughContributions(uint256 signatures, uint8 trust);
    error InvalidSignature(uint256 index);
    error SignersNotAscending(address previous, address signer);
    error NotPoolWorker(address signer, uint64 pool);
    error StakeBelowMinimum(address worker, uint256 stake, uint256 minStake);
    error DissentAgreesWithResult(address worker);
    error InsufficientGasForCallback(uint256 available, uint256 needed);
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    error InsufficientStake(address worker, uint256 stake, uint256 minStake);
    error AlreadyInAnotherPool(address worker, uint64 pool);
    error NotInPool(address worker);
    error StakeLocked(address worker, uint64 unlockAt);
    error ZeroAmount();
}
