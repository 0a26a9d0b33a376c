// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IHubTypes} from "./IHubTypes.sol";
import {IHubErrors} from "./IHubErrors.sol";
import {IHubEvents} from "./IHubEvents.sol";

/// @title IHub
/// @notice What a requester, a dapp's Task contract and an oracle call on the Hub.
interface IHub is IHubTypes, IHubErrors, IHubEvents {
    /// @notice The RLC token every price, stake and payment is in.
    function rlc() external view returns (IERC20);

    /// @notice The total price of a task on these registry entries, in nRLC.
    function quote(uint64 app, uint64 dataset, uint64 pool) external view returns (uint256);

    /// @notice Requests a task; the caller is the requester. Tokens transferred to the Hub
    /// earlier in the same transaction pay first, then the caller's escrow balance, then an
    /// allowance the caller gave the Hub.
    function requestTask(TaskSpec calldata spec) external returns (bytes32 taskId);

    /// @notice Finalizes a task with the agreeing workers' signatures; the pool's oracle only.
    function finalize(
        TaskRequest calldata request,
        bytes32 resultDigest,
        bytes calldata callbackData,
        Signature[] calldata signatures,
        Dissent[] calldata dissents
    ) external;

    /// @notice Refunds the requester of a task nobody finalized before its deadline.
    function claim(TaskRequest calldata request) external;

    /// @notice The status of a task.
    function taskStatus(bytes32 taskId) external view returns (TaskStatus);
}
