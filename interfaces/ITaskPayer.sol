// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ITaskPayer
/// @notice What a contract requesting with `IHub.requestTaskPayingInCallback` implements: the
/// Hub calls it back once the task's price is known, and counts only the tokens that reach the
/// Hub during this call.
interface ITaskPayer {
    /// @notice Pay the Hub `price` RLC now (e.g. `rlc.transferFrom(user, hub, price)` on an
    /// allowance a user gave the caller in the same transaction); called by the Hub only, in
    /// the middle of a request this contract made.
    /// @param price The task's whole price, in nRLC.
    /// @param data What the requester passed to requestTaskPayingInCallback, untouched.
    function payForTask(uint256 price, bytes calldata data) external;
}
