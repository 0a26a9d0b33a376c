// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ITaskReceiver} from "../../interfaces/ITaskReceiver.sol";

/// @notice The simplest callback: stores the last result's first word. Used for gas figures.
contract ValueStore is ITaskReceiver {
    bytes32 public s_value;
    bytes32 public s_lastTask;

    function onTaskResult(bytes32 taskId, address, bytes32, bytes calldata callbackData) external {
        s_lastTask = taskId;
        s_value = bytes32(callbackData);
    }
}
