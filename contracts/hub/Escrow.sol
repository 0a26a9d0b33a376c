// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IHubErrors} from "../../interfaces/IHubErrors.sol";
import {IHubEvents} from "../../interfaces/IHubEvents.sol";

/// @title Escrow
/// @notice Holds every RLC the Hub owes: account balances, prices locked by open tasks and
/// worker stakes. RLC is never created or lost here: `s_totalOwed` is their sum, and the
/// Hub's token balance covers it at all times (tokens sent without a call are the surplus).
abstract contract Escrow is ReentrancyGuardTransient, IHubErrors, IHubEvents {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    IERC20 internal immutable i_rlc;

    /// @notice What each account may withdraw: earnings, refunds and deposits.
    mapping(address account => uint256) public s_balances;

    // one slot: a request updates both
    uint192 internal s_totalOwed;
    uint64 internal s_taskNonce;

    constructor(IERC20 rlcToken) {
        if (address(rlcToken) == address(0)) revert ZeroAddress();
        i_rlc = rlcToken;
    }

    /*//////////////////////////////////////////////////////////////
                                 ACCOUNTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The sum of everything the Hub owes (balances, locked prices and stakes).
    function totalOwed() external view returns (uint256) {
        return s_totalOwed;
    }

    /// @notice Moves `amount` RLC from the caller (who approved the Hub) to their escrow balance,
    /// from which later requests are paid without an approval each.
    function deposit(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        i_rlc.safeTransferFrom(msg.sender, address(this), amount);
        s_balances[msg.sender] += amount;
        s_totalOwed += uint192(amount);
        emit Deposited(msg.sender, amount);
    }

    /// @notice Sends `amount` of the caller's escrow balance (earnings, refunds, deposits) to them.
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = s_balances[msg.sender];
        if (balance < amount) revert InsufficientBalance(msg.sender, balance, amount);
        // cannot underflow: checked just above
        unchecked {
            s_balances[msg.sender] = balance - amount;
        }
        _send(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Takes `price` into escrow for a new task and returns the task's nonce. Tokens
    /// transferred to the Hub earlier in this transaction pay first (so a dapp can forward its
    /// user's payment without holding it), then the payer's balance, then the payer's allowance.
    function _collect(address payer, uint256 price) internal returns (uint64 nonce) {
        uint256 owed = s_totalOwed;
        uint256 held = i_rlc.balanceOf(address(this));
        uint256 pushed = held > owed ? held - owed : 0;
        if (pushed < price) {
            uint256 missing = price - pushed;
            uint256 balance = s_balances[payer];
            if (balance >= missing) {
                // cannot underflow: checked just above; the locked price replaces the balance
                unchecked {
                    s_balances[payer] = balance - missing;
                }
                owed -= missing;
            } else {
                i_rlc.safeTransferFrom(payer, address(this), missing);
            }
        }
        nonce = s_taskNonce + 1;
        s_totalOwed = uint192(owed + price);
        s_taskNonce = nonce;
    }

    /// @dev Adds to an account's balance; the amount was already owed (locked or staked).
    function _credit(address account, uint256 amount) internal {
        if (amount != 0) s_balances[account] += amount;
    }

    /// @dev Pays out of escrow: tokens leave, and the Hub owes that much less.
    function _send(address to, uint256 amount) internal {
        s_totalOwed -= uint192(amount);
        i_rlc.safeTransfer(to, amount);
    }

    /// @dev Takes tokens in as a stake (they are owed back to the worker).
    function _receiveStake(address from, uint256 amount) internal {
        i_rlc.safeTransferFrom(from, address(this), amount);
        s_totalOwed += uint192(amount);
    }
}
