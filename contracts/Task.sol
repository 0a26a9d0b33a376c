// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IHub} from "../interfaces/IHub.sol";
import {IHubTypes} from "../interfaces/IHubTypes.sol";
import {ITaskReceiver} from "../interfaces/ITaskReceiver.sol";
import {ITaskPayer} from "../interfaces/ITaskPayer.sol";
import {IApprovalReceiver} from "../interfaces/IApprovalReceiver.sol";

/// @title Task
/// @notice What a dapp inherits to have computations run by a pool and paid by its users: an
/// end user calls `rlc.approveAndCall(dapp, maxPayment, data)`, the dapp turns `data` into a
/// task with `_requestTask`, and the Hub (and only the Hub) later calls back with the result of
/// a task this contract requested. The user's payment goes from the user straight to the Hub,
/// in the Hub's call back for the price of this very request: the dapp never holds it.
abstract contract Task is ITaskReceiver, IApprovalReceiver, ITaskPayer {
    using SafeERC20 for IERC20;

    error NotHub(address caller);
    error NotRLC(address caller);
    error NotRequestedHere(bytes32 taskId, address requester);

    IHub public immutable i_hub;
    IERC20 public immutable i_rlc;

    constructor(IHub hub) {
        i_hub = hub;
        i_rlc = hub.rlc();
    }

    /// @inheritdoc ITaskReceiver
    function onTaskResult(bytes32 taskId, address requester, bytes32 resultDigest, bytes calldata callbackData)
        external
    {
        if (msg.sender != address(i_hub)) revert NotHub(msg.sender);
        // the Hub calls back any callback its requester named: accept only our own requests
        if (requester != address(this)) revert NotRequestedHere(taskId, requester);
        _onTaskResult(taskId, resultDigest, callbackData);
    }

    /// @inheritdoc IApprovalReceiver
    function receiveApproval(address from, uint256 amount, address token, bytes calldata data) external {
        if (msg.sender != address(i_rlc) || token != address(i_rlc)) revert NotRLC(msg.sender);
        _onPayment(from, amount, data);
    }

    /// @inheritdoc ITaskPayer
    /// @dev `data` is the payer, as `_requestTask` gave it to the Hub, which calls back only the
    /// contract that is requesting; the Hub already refused a price above what the payer offered.
    function payForTask(uint256 price, bytes calldata data) external {
        if (msg.sender != address(i_hub)) revert NotHub(msg.sender);
        i_rlc.safeTransferFrom(abi.decode(data, (address)), address(i_hub), price);
    }

    /// @notice Requests a task paid by `payer` (who approved this contract for `maxPayment`),
    /// refunded to `payer`, answered to this contract. The Hub refuses a price above
    /// `maxPayment` (PriceAboveMax), asks for the price in `payForTask`, and the payment goes
    /// from `payer` straight to the Hub.
    function _requestTask(IHubTypes.TaskSpec memory spec, address payer, uint256 maxPayment)
        internal
        returns (bytes32 taskId)
    {
        spec.callback = address(this);
        spec.refundTo = payer;
        spec.maxPrice = maxPayment > type(uint64).max ? type(uint64).max : uint64(maxPayment);
        taskId = i_hub.requestTaskPayingInCallback(spec, abi.encode(payer));
    }

    /// @notice Handles a paid request: decode `data` and call `_requestTask`.
    function _onPayment(address payer, uint256 amount, bytes calldata data) internal virtual;

    /// @notice Handles the agreed result of a task this contract requested.
    function _onTaskResult(bytes32 taskId, bytes32 resultDigest, bytes calldata callbackData) internal virtual;
}
