// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IHubErrors} from "./IHubErrors.sol";
import {IHubEvents} from "./IHubEvents.sol";
import {IHubRegistry} from "./IHubRegistry.sol";
import {IHubMarket} from "./IHubMarket.sol";

/// @title IHub
/// @notice What a requester, a dapp's Task contract, an oracle and the parties call on the Hub.
interface IHub is IHubRegistry, IHubMarket, IHubErrors, IHubEvents {
    /// @notice The RLC token every price, stake and payment is in.
    function rlc() external view returns (IERC20);

    /// @notice The whole price of a task for `spec`, in nRLC: app + dataset + the pool's price
    /// per replica times trust + callback gas limit times the pool's callback gas price.
    function quote(TaskSpec calldata spec) external view returns (uint256);

    /// @notice Requests a task; the caller is the requester and pays: from its escrow balance
    /// when that covers the price, otherwise by an allowance it gave the Hub, in this call.
    /// @return taskId The hash of the task's request, as emitted in TaskRequested.
    function requestTask(TaskSpec calldata spec) external returns (bytes32 taskId);

    /// @notice Requests a task for the caller, which pays in a call back: the Hub resolves the
    /// price, calls `ITaskPayer(caller).payForTask(price, data)`, and opens the task only if its
    /// RLC balance grew by the price during that call. Lets a dapp forward its user's payment
    /// straight to the Hub in the user's own transaction, with nothing held between calls.
    /// @return taskId The hash of the task's request, as emitted in TaskRequested.
    function requestTaskPayingInCallback(TaskSpec calldata spec, bytes calldata data) external returns (bytes32 taskId);

    /// @notice Finalizes a task with the agreeing workers' signatures; the task's oracle only.
    /// @param request The task, as emitted in TaskRequested.
    /// @param resultDigest sha256 of the result archive the workers agreed on.
    /// @param callbackData What the callback receives (at most 1,024 bytes).
    /// @param signatures EIP-712 Contributions over (task id, resultDigest, keccak256 of
    /// callbackData), in ascending signer order.
    /// @param dissents Contributions of pool workers to other results of the task.
    function finalize(
        TaskRequest calldata request,
        bytes32 resultDigest,
        bytes calldata callbackData,
        Signature[] calldata signatures,
        Contribution[] calldata dissents
    ) external;

    /// @notice Finalizes many tasks in one transaction, each as `finalize` would. A task that
    /// cannot be settled (already settled, past its deadline, not this oracle's, not enough
    /// qualifying signers, not enough gas left for its callback) is skipped with TaskSkipped
    /// carrying the error `finalize` would revert with, and nothing of it changes; the others
    /// settle. A callback that reverts or burns its gas is recorded and settles its task.
    /// @return settled How many tasks were finalized.
    function finalizeBatch(Finalization[] calldata batch) external returns (uint256 settled);

    /// @notice Refunds the requester of a task nobody finalized before its deadline; anyone.
    function claim(TaskRequest calldata request) external;

    /// @notice Claims many tasks, each as `claim` would; one that cannot be claimed (not open,
    /// deadline not reached) is skipped with TaskSkipped. Anyone.
    /// @return claimed How many tasks were refunded.
    function claimBatch(TaskRequest[] calldata requests) external returns (uint256 claimed);

    /// @notice Refunds a task the pool cannot serve, before its deadline; the task's oracle only.
    /// @param reason Why, for the requester (at most 256 bytes).
    function reportFailure(TaskRequest calldata request, string calldata reason) external;

    /// @notice Reports many failures, each as `reportFailure` would; one that cannot be reported
    /// (not open, past its deadline, not this oracle's, reason too long) is skipped with TaskSkipped.
    /// @return refunded How many tasks were refunded.
    function reportFailureBatch(Failure[] calldata failures) external returns (uint256 refunded);

    /// @notice The status of a task.
    function taskStatus(bytes32 taskId) external view returns (TaskStatus);

    /// @notice The task id of a request: the hash the Hub stores.
    function taskIdOf(TaskRequest calldata request) external pure returns (bytes32);

    /// @notice The EIP-712 digest a worker signs for a contribution to a task's result.
    function contributionHash(bytes32 taskId, bytes32 resultDigest, bytes32 callbackDataHash)
        external
        view
        returns (bytes32);

    /// @notice What `account` may withdraw: its escrow balance and, for a worker, its earnings.
    function balanceOf(address account) external view returns (uint256);
}
