// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IHubOrders} from "./IHubOrders.sol";

/// @title IHubMarket
/// @notice What parties call on the Hub to trade through signed orders (see IHubOrders).
interface IHubMarket is IHubOrders {
    /// @notice Opens a task from matching orders: checks every signature, expiry, remaining
    /// volume and restriction, that the pool offers the trust, stake and reputation asked for,
    /// and that the orders' prices (app + dataset + pool price times trust + callback gas times
    /// the pool's callback gas price) fit under the request's maximum; then consumes one unit
    /// of each order and locks that price. The requester pays: when it sends the match itself,
    /// from its escrow balance, else by its allowance in this call; by `approveAndCall` on RLC
    /// with this call as data, by that allowance; when anyone else sends it, from the
    /// requester's escrow balance only.
    /// @return taskId The hash of the task's request, as emitted in TaskRequested.
    function matchOrders(
        AppOrder calldata appOrder,
        DatasetOrder calldata datasetOrder,
        PoolOrder calldata poolOrder,
        RequestOrder calldata requestOrder,
        Signatures calldata signatures
    ) external returns (bytes32 taskId);

    /// @notice Cancels for good the caller's orders with these EIP-712 digests: none of them can
    /// be matched afterwards. Only orders the caller signed are touched.
    function cancelOrders(bytes32[] calldata orderHashes) external;

    /// @notice How many units of `signer`'s order `orderHash` were consumed, and whether it was
    /// cancelled.
    function orderUse(address signer, bytes32 orderHash) external view returns (uint256 consumed, bool cancelled);
}
