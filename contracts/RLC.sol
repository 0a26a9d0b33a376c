// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IApprovalReceiver} from "../interfaces/IApprovalReceiver.sol";

/// @title RLC
/// @notice The project's ERC-20: 9 decimals like the real RLC, a fixed supply minted once, and
/// `approveAndCall` so that an end user pays and requests in one transaction.
contract RLC is ERC20 {
    /// @param holder Receives the whole supply.
    /// @param supply The fixed supply in nRLC (1 RLC = 1e9 nRLC).
    constructor(address holder, uint256 supply) ERC20("iExec RLC", "RLC") {
        _mint(holder, supply);
    }

    /// @notice RLC has 9 decimals.
    function decimals() public pure override returns (uint8) {
        return 9;
    }

    /// @notice Approves `spender` for `amount` and tells it at once, passing `data` along.
    /// @param spender A contract implementing IApprovalReceiver.
    /// @param amount The allowance given to `spender`.
    /// @param data Passed to `spender.receiveApproval` untouched.
    /// @return Always true; a failing receiver reverts the whole call.
    function approveAndCall(address spender, uint256 amount, bytes calldata data) external returns (bool) {
        _approve(msg.sender, spender, amount);
        IApprovalReceiver(spender).receiveApproval(msg.sender, amount, address(this), data);
        return true;
    }
}
