// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {HubState} from "./HubState.sol";

/// @title Delegated
/// @notice What the HubRegistry's functions share: they run only inside the Hub that created
/// the registry (by delegatecall, on the Hub's storage), never on the registry's own address,
/// where a stake or deposit would be lost.
abstract contract Delegated is HubState {
    address private immutable i_hub;

    constructor(IERC20 rlcToken) HubState(rlcToken) {
        i_hub = msg.sender;
    }

    modifier onlyThroughHub() {
        if (address(this) != i_hub) revert OnlyThroughHub(i_hub);
        _;
    }
}
