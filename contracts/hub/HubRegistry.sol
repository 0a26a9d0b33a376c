// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Delegated} from "./Delegated.sol";
import {Registries} from "./Registries.sol";
import {WorkerStakes} from "./WorkerStakes.sol";
import {Escrow} from "./Escrow.sol";
import {FaultProofs} from "./FaultProofs.sol";

/// @title HubRegistry
/// @notice The parties' half of the Hub (registries, stakes, accounts, proofs of fault), kept
/// apart so that the Hub's own code stays within the contract size limit. The Hub creates it
/// and runs it by delegatecall on the Hub's storage; called on its own address it refuses.
contract HubRegistry is Registries, WorkerStakes, Escrow, FaultProofs {
    constructor(IERC20 rlcToken) Delegated(rlcToken) {}
}
