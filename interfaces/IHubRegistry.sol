// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IHubTypes} from "./IHubTypes.sol";

/// @title IHubRegistry
/// @notice The parties' side of the Hub: applications, datasets and pools, workers' stakes,
/// escrow accounts and proofs of a worker's fault. Called on the Hub's address like the rest.
interface IHubRegistry is IHubTypes {
    /// @notice Registers an application run by the grid; the caller owns it and is paid `price`
    /// for each task that uses it.
    /// @param price nRLC per task.
    /// @param checksum sha256 of the application's binary, never zero (for a shared app, which
    /// the grid holds no file of, a fixed value such as the sha256 of its image reference).
    /// @param uri The grid app's name or URI. The oracle serves the app only if the grid app of
    /// that name belongs to a grid user who proved the caller's address.
    /// @return app The new application's id.
    function registerApp(uint64 price, bytes32 checksum, string calldata uri) external returns (uint64 app);

    /// @notice Registers a dataset; the caller owns it and is paid `price` per task using it.
    /// @param price nRLC per task.
    /// @param checksum sha256 of the data, never zero.
    /// @param uri The grid data's id or a URI; as for apps, the grid's data must belong to a
    /// grid user who proved the caller's address.
    /// @return dataset The new dataset's id.
    function registerDataset(uint64 price, bytes32 checksum, string calldata uri) external returns (uint64 dataset);

    /// @notice Changes an application's price for tasks requested from now on; its owner only.
    function setAppPrice(uint64 app, uint64 price) external;

    /// @notice Changes a dataset's price for tasks requested from now on; its owner only.
    function setDatasetPrice(uint64 dataset, uint64 price) external;

    /// @notice Registers a worker pool; the caller owns it. `config.owner` is ignored.
    /// @param config Price per replica, owner's fee share, oracle key, minimum stake, maximum
    /// duration and the price of a unit of callback gas.
    /// @return pool The new pool's id.
    function registerPool(Pool calldata config) external returns (uint64 pool);

    /// @notice Changes a pool's terms for tasks requested from now on (an open task keeps the
    /// terms its request copied, oracle key included); its owner only. `config.owner` transfers
    /// the pool.
    function updatePool(uint64 pool, Pool calldata config) external;

    /// @notice Joins `pool` with `stake` more RLC (the caller approved the Hub); joining again
    /// adds stake and cancels a pending leave. Reputation is kept while the worker's record lives.
    function joinPool(uint64 pool, uint64 stake) external;

    /// @notice Leaves the caller's pool: its signatures stop counting at once, and its stake can
    /// be withdrawn after the pool's maximum task duration. Stop the worker before leaving: a
    /// signature for a task of the pool requested after this moment costs the stake.
    function leavePool() external;

    /// @notice Sends a worker who left its pool its whole stake once unlocked; its earnings stay
    /// withdrawable and its reputation is forgotten.
    function withdrawStake() external;

    /// @notice Moves `amount` RLC from the caller (who approved the Hub) to their escrow
    /// balance, from which later requests are paid without an approval each.
    function deposit(uint256 amount) external;

    /// @notice Sends `amount` of the caller's escrow balance (refunds, deposits, earnings) to them.
    function withdraw(uint256 amount) external;

    /// @notice Sends everything `account` may withdraw to `account` itself. Anyone may call it,
    /// so that a contract that cannot call `withdraw` (a dapp, a multisig paid as pool owner)
    /// still receives what it is owed.
    function withdrawTo(address account) external;

    /// @notice Slashes a worker that signed two different results for one task: its whole stake
    /// goes to the task's refund address. Anyone may bring the proof.
    /// @param request The task, as emitted in TaskRequested (requested, whatever became of it).
    /// @param first One of the worker's contributions to the task.
    /// @param second Another contribution of the same worker, to another result.
    function slashEquivocation(TaskRequest calldata request, Contribution calldata first, Contribution calldata second)
        external;

    /// @notice Slashes a worker that signed for a task of its pool requested after it had left
    /// the pool: its whole stake goes to the task's refund address. Anyone may bring the proof.
    /// @param request The task, as emitted in TaskRequested.
    /// @param contribution The worker's contribution to the task.
    function slashSignedAfterLeaving(TaskRequest calldata request, Contribution calldata contribution) external;
}
