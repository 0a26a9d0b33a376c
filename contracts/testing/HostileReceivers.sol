// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITaskReceiver} from "../../interfaces/ITaskReceiver.sol";
import {IHubTypes} from "../../interfaces/IHubTypes.sol";
import {IHub} from "../../interfaces/IHub.sol";
import {ITaskPayer} from "../../interfaces/ITaskPayer.sol";

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

/// @notice A requester paying in its callback whatever it was told to: `s_pay` of the price it
/// is asked (in basis points), from its own tokens, optionally trying to reenter the Hub first.
contract CallbackPayer is ITaskPayer {
    IHub public immutable i_hub;
    uint256 public s_payBps = 10_000;
    bytes public s_reentry;
    bytes public s_revertData;

    constructor(IHub hub) {
        i_hub = hub;
    }

    function setPayBps(uint256 payBps) external {
        s_payBps = payBps;
    }

    function setReentry(bytes calldata reentry) external {
        s_reentry = reentry;
    }

    function request(IHubTypes.TaskSpec calldata spec) external returns (bytes32) {
        return i_hub.requestTaskPayingInCallback(spec, "");
    }

    function payForTask(uint256 price, bytes calldata) external {
        if (s_reentry.length != 0) {
            (, bytes memory data) = address(i_hub).call(s_reentry);
            s_revertData = data;
        }
        i_hub.rlc().transfer(address(i_hub), price * s_payBps / 10_000);
    }
}
