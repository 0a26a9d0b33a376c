// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Registries} from "./Registries.sol";
import {Escrow} from "./Escrow.sol";

/// @title WorkerStakes
/// @notice Workers join one pool at a time with a stake in RLC. A stake stays slashable until
/// the pool's maximum task duration has passed after leaving, so a worker cannot sign a wrong
/// result and withdraw before the proof reaches the chain.
abstract contract WorkerStakes is Registries, Escrow {
    mapping(address worker => Worker) public s_workers;

    /// @notice Joins `pool` with `stake` more RLC (the caller approved the Hub); joining again
    /// adds stake and cancels a pending leave.
    /// @param pool The pool to work for.
    /// @param stake nRLC added to the caller's stake.
    function joinPool(uint64 pool, uint64 stake) external nonReentrant {
        Pool storage config = s_pools[pool];
        if (config.owner == address(0)) revert UnknownPool(pool);
        Worker memory worker = s_workers[msg.sender];
        if (worker.pool != 0 && worker.pool != pool) revert AlreadyInAnotherPool(msg.sender, worker.pool);
        uint64 total = worker.stake + stake;
        if (total < config.minStake) revert InsufficientStake(msg.sender, total, config.minStake);
        if (stake != 0) _receiveStake(msg.sender, stake);
        s_workers[msg.sender] = Worker({pool: pool, stake: total, unlockAt: 0});
        emit WorkerJoined(msg.sender, pool, total);
    }

    /// @notice Leaves the caller's pool; the stake can be withdrawn after the pool's maximum
    /// task duration, and signatures stay valid (and slashable) until then.
    function leavePool() external {
        Worker storage worker = s_workers[msg.sender];
        uint64 pool = worker.pool;
        if (pool == 0) revert NotInPool(msg.sender);
        uint64 unlockAt = uint64(block.timestamp) + s_pools[pool].maxDuration;
        worker.unlockAt = unlockAt;
        emit WorkerLeaving(msg.sender, pool, unlockAt);
    }

    /// @notice Sends a worker who left its pool its whole stake once unlocked.
    function withdrawStake() external nonReentrant {
        Worker memory worker = s_workers[msg.sender];
        if (worker.pool == 0) revert NotInPool(msg.sender);
        if (worker.unlockAt == 0 || block.timestamp < worker.unlockAt) {
            revert StakeLocked(msg.sender, worker.unlockAt);
        }
        delete s_workers[msg.sender];
        _send(msg.sender, worker.stake);
        emit StakeWithdrawn(msg.sender, worker.pool, worker.stake);
    }

    /// @dev Takes a proven-wrong worker's whole stake and removes it from its pool; the caller
    /// credits the amount to someone (it stays owed).
    function _slash(address worker, uint64 pool, bytes32 taskId) internal returns (uint64 amount) {
        Worker memory record = s_workers[worker];
        if (record.pool != pool) revert NotPoolWorker(worker, pool);
        amount = record.stake;
        delete s_workers[worker];
        emit WorkerSlashed(worker, taskId, amount);
    }
}
