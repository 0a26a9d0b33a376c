// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ITaskReceiver
/// @notice The one function the Hub calls on a task's callback contract once workers agreed.
interface ITaskReceiver {
    /// @notice Receives the agreed result of a task. Called by the Hub only, with the gas the
    /// requester chose; a revert here is recorded by the Hub and never undoes the payment.
    /// @param taskId The task being answered.
    /// @param requester The account that asked for the task (the caller of `requestTask`).
    /// @param resultDigest sha256 of the result archive the workers agreed on.
    /// @param callbackData The bytes the application wrote for the contract.
    function onTaskResult(bytes32 taskId, address requester, bytes32 resultDigest, bytes calldata callbackData)
        external;
}
