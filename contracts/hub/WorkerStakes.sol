// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IHubRegistry} from "../../interfaces/IHubRegistry.sol";
import {Delegated} from "./Delegated.sol";

/// @title WorkerStakes
/// @notice Workers join one pool at a time with a stake in RLC. Only active members count in a
/// settlement. A stake is lost only on proof made of the worker's own signatures (two results
/// for one task, or a signature for a task of its pool requested after it left), and stays
/// locked for the pool's maximum task duration after leaving so that such proof can arrive.
abstract contract WorkerStakes is Delegated, IHubRegistry {
    /// @inheritdoc IHubRegistry
    function joinPool(uint64 pool, uint64 stake) external onlyThroughHub nonReentrant {
        Pool storage config = s_pools[pool];
        if (config.owner == address(0)) revert UnknownPool(pool);
        Worker memory worker = s_workers[msg.sender];
        if (worker.pool != 0 && worker.pool != pool) revert AlreadyInAnotherPool(msg.sender, worker.pool);
        uint64 total = worker.stake + stake;
        if (total < config.minStake) revert InsufficientStake(msg.sender, total, config.minStake);
        worker.pool = pool;
        worker.stake = total;
        worker.leftAt = 0;
        s_workers[msg.sender] = worker;
        emit WorkerJoined(msg.sender, pool, total);
        if (stake != 0) _pull(msg.sender, stake);
    }

    /// @inheritdoc IHubRegistry
    function leavePool() external onlyThroughHub {
        Worker storage worker = s_workers[msg.sender];
        uint64 pool = worker.pool;
        if (pool == 0) revert NotInPool(msg.sender);
        if (worker.leftAt != 0) revert AlreadyLeaving(msg.sender, _unlockAt(pool, worker.leftAt));
        worker.leftAt = uint32(block.timestamp);
        emit WorkerLeaving(msg.sender, pool, _unlockAt(pool, uint32(block.timestamp)));
    }

    /// @inheritdoc IHubRegistry
    function withdrawStake() external onlyThroughHub nonReentrant {
        Worker memory worker = s_workers[msg.sender];
        if (worker.pool == 0) revert NotInPool(msg.sender);
        uint64 unlockAt = worker.leftAt == 0 ? 0 : _unlockAt(worker.pool, worker.leftAt);
        if (unlockAt == 0 || block.timestamp < unlockAt) revert StakeLocked(msg.sender, unlockAt);
        _dropWorker(msg.sender, worker.earnings);
        emit StakeWithdrawn(msg.sender, worker.pool, worker.stake);
        _send(msg.sender, worker.stake);
    }

    function _unlockAt(uint64 pool, uint32 leftAt) private view returns (uint64) {
        return uint64(leftAt) + s_pools[pool].maxDuration;
    }
}
