// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITaskReceiver} from "../../interfaces/ITaskReceiver.sol";
import {IHubTypes} from "../../interfaces/IHubTypes.sol";

/// @notice A callback that always reverts.
contract RevertingReceiver is ITaskReceiver {
    error Refused();

    function onTaskResult(bytes32, address, bytes32, bytes calldata) external pure {
        revert Refused();
    }
}

/// @notice A callback that burns every unit of gas it is given.
contract GasBurner is ITaskReceiver {
    uint256 public s_counter;

    function onTaskResult(bytes32, address, bytes32, bytes calldata) external {
        while (true) {
            ++s_counter;
        }
    }
}

/// @notice A callback that tries to reenter the Hub with a prepared call (finalize again,
/// claim, withdraw) and records whether the Hub let it in.
contract ReentrantReceiver is ITaskReceiver {
    address public immutable i_hub;
    bytes public s_reentry;
    bool public s_reentered;
    bytes public s_revertData;

    constructor(address hub) {
        i_hub = hub;
    }

    function setReentry(bytes calldata reentry) external {
        s_reentry = reentry;
    }

    function onTaskResult(bytes32, address, bytes32, bytes calldata) external {
        (bool ok, bytes memory data) = i_hub.call(s_reentry);
        s_reentered = ok;
        s_revertData = data;
    }
}

/// @notice A callback that returns an enormous reply, which the Hub must not copy. 200 kB costs
/// the callee about 95k gas of memory, so it succeeds within a 200k stipend; copying it back
/// would cost the caller as much again.
contract ReturnBomb is ITaskReceiver {
    function onTaskResult(bytes32, address, bytes32, bytes calldata) external pure {
        assembly {
            return(0, 200000)
        }
    }
}
