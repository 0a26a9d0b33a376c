// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IHubRegistry} from "../../interfaces/IHubRegistry.sol";
import {Delegated} from "./Delegated.sol";

/// @title Escrow
/// @notice Accounts: deposits that pay later requests, and withdrawals of refunds and earnings.
abstract contract Escrow is Delegated, IHubRegistry {
    /// @inheritdoc IHubRegistry
    function deposit(uint256 amount) external onlyThroughHub nonReentrant {
        if (amount == 0) revert ZeroAmount();
        s_balances[msg.sender] += amount;
        emit Deposited(msg.sender, amount);
        _pull(msg.sender, amount);
    }

    /// @inheritdoc IHubRegistry
    function withdraw(uint256 amount) external onlyThroughHub nonReentrant {
        _withdraw(msg.sender, amount);
    }

    /// @inheritdoc IHubRegistry
    function withdrawTo(address account) external onlyThroughHub nonReentrant {
        _withdraw(account, balanceOf(account));
    }

    /// @dev Takes `amount` from the account's balance, then from its earnings as a worker.
    function _withdraw(address account, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = s_balances[account];
        if (balance >= amount) {
            // cannot underflow: checked just above
            unchecked {
                s_balances[account] = balance - amount;
            }
        } else {
            uint256 missing = amount - balance;
            uint64 earnings = s_workers[account].earnings;
            if (earnings < missing) revert InsufficientBalance(account, balance + earnings, amount);
            s_balances[account] = 0;
            // cannot underflow: checked just above; the cast is exact since missing <= earnings
            unchecked {
                s_workers[account].earnings = earnings - uint64(missing);
            }
        }
        emit Withdrawn(account, amount);
        _send(account, amount);
    }
}
