// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IHub} from "../interfaces/IHub.sol";
import {IHubTypes} from "../interfaces/IHubTypes.sol";
import {ITaskReceiver} from "../interfaces/ITaskReceiver.sol";
import {IApprovalReceiver} from "../interfaces/IApprovalReceiver.sol";

/// @title Task
/// @notice What a dapp inherits to have computations run by a pool and paid by its users: an
/// end user calls `rlc.approveAndCall(dapp, maxPayment, data)`, the dapp turns `data` into a
/// task with `_requestTask`, and the Hub (and only the Hub) later calls back with the result of
/// a task this contract requested. The user's payment passes through the dapp in the same
/// call: the dapp takes exactly the price from the user and the Hub takes it from the dapp,
/// which holds nothing between calls.
abstract contract Task is ITaskReceiver, IApprovalReceiver {
    using SafeERC20 for IERC20;

    error NotHub(address caller);
    error NotRLC(address caller);
    error NotRequestedHere(bytes32 taskId, address requester);
    error PaymentTooLow(address payer, uint256 offered, uint256 price);

    IHub public immutable i_hub;
    IERC20 public immutable i_rlc;

    constructor(IHub hub) {
        i_hub = hub;
        i_rlc = hub.rlc();
        // the Hub takes each request's price from this contract in the call that requests it;
        // a standing allowance spares an approval per request (the Hub takes from a requester
        // only when that requester itself calls, and this contract holds nothing between calls)
        i_rlc.forceApprove(address(hub), type(uint256).max);
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

    /// @notice Requests a task paid by `payer` (who approved this contract for `maxPayment`),
    /// refunded to `payer`, answered to this contract.
    function _requestTask(IHubTypes.TaskSpec memory spec, address payer, uint256 maxPayment)
        internal
        returns (bytes32 taskId)
    {
        spec.callback = address(this);
        spec.refundTo = payer;
        uint256 price = i_hub.quote(spec);
        if (price > maxPayment) revert PaymentTooLow(payer, maxPayment, price);
        spec.maxPrice = uint64(price);
        i_rlc.safeTransferFrom(payer, address(this), price);
        taskId = i_hub.requestTask(spec);
    }

    /// @notice Handles a paid request: decode `data` and call `_requestTask`.
    function _onPayment(address payer, uint256 amount, bytes calldata data) internal virtual;

    /// @notice Handles the agreed result of a task this contract requested.
    function _onTaskResult(bytes32 taskId, bytes32 resultDigest, bytes calldata callbackData) internal virtual;
}
