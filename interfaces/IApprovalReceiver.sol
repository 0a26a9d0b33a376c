// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IApprovalReceiver
/// @notice Called by RLC's `approveAndCall`, so that approving and paying is one transaction.
interface IApprovalReceiver {
    /// @notice Told that `from` just approved this contract to spend `amount` of `token`.
    /// @param from The account that approved and called.
    /// @param amount The approved amount.
    /// @param token The token contract (the only caller a receiver should trust).
    /// @param data Whatever the caller passed along, e.g. an encoded request.
    function receiveApproval(address from, uint256 amount, address token, bytes calldata data) external;
}
