// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IHub} from "../../interfaces/IHub.sol";
import {IHubRegistry} from "../../interfaces/IHubRegistry.sol";
import {IHubMarket} from "../../interfaces/IHubMarket.sol";
import {IApprovalReceiver} from "../../interfaces/IApprovalReceiver.sol";
import {ITaskPayer} from "../../interfaces/ITaskPayer.sol";
import {HubState} from "./HubState.sol";
import {HubRegistry} from "./HubRegistry.sol";
import {HubMarket, APPROVED_PAYER_SLOT} from "./HubMarket.sol";
import {Requests} from "./Requests.sol";
import {Settlement} from "./Settlement.sol";

/// @title Hub
/// @notice Takes paid requests, locks their price, and settles them exactly once: finalized by
/// the task's oracle with the signatures of enough qualifying workers of its pool, refunded by
/// anyone after the deadline, or refunded early when the oracle reports it cannot serve.
/// The Hub stores only the hash of each request (its id); callers give the request back.
/// The parties' functions (registries, stakes, accounts, proofs of fault) run in the
/// HubRegistry this Hub creates, by delegatecall on this Hub's storage.
contract Hub is IHub, IApprovalReceiver, Requests, Settlement {
    /*//////////////////////////////////////////////////////////////
                                 LIMITS
    //////////////////////////////////////////////////////////////*/

    uint256 public constant MAX_REASON_LENGTH = 256;

    /// @notice The parties' half of this Hub (see HubRegistry).
    address public immutable i_registry;
    /// @notice The market half of this Hub: signed orders matched (see HubMarket).
    address public immutable i_market;

    constructor(IERC20 rlcToken) HubState(rlcToken) {
        i_registry = address(new HubRegistry(rlcToken));
        i_market = address(new HubMarket(rlcToken));
    }

    /*//////////////////////////////////////////////////////////////
                                REQUESTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IHub
    function requestTask(TaskSpec calldata spec) external nonReentrant returns (bytes32 taskId) {
        TaskSpec memory copy = spec;
        TaskRequest memory request = _resolve(msg.sender, copy);
        taskId = _openTask(request, copy.params);
        _collect(msg.sender, _priceOf(request), true);
    }

    /// @notice RLC's `approveAndCall` lands here: `data` is an ABI-encoded TaskSpec and `from`
    /// becomes the requester, who pays by the allowance it just gave, in this same call. Or
    /// `data` is a whole `matchOrders` call, whose requester `from` must be, paying likewise.
    function receiveApproval(address from, uint256, address token, bytes calldata data) external nonReentrant {
        if (msg.sender != address(i_rlc) || token != address(i_rlc)) revert UnsupportedToken(msg.sender);
        if (data.length >= 4 && bytes4(data[:4]) == IHubMarket.matchOrders.selector) {
            // the payer rides to the market half in transient storage, which matchOrders clears
            bytes32 slot = APPROVED_PAYER_SLOT;
            assembly ("memory-safe") {
                tstore(slot, from)
            }
            Address.functionDelegateCall(i_market, data);
            return;
        }
        TaskSpec memory spec = abi.decode(data, (TaskSpec));
        TaskRequest memory request = _resolve(from, spec);
        _openTask(request, spec.params);
        _collect(from, _priceOf(request), false);
    }

    /// @inheritdoc IHub
    function requestTaskPayingInCallback(TaskSpec calldata spec, bytes calldata data)
        external
        nonReentrant
        returns (bytes32 taskId)
    {
        TaskSpec memory copy = spec;
        TaskRequest memory request = _resolve(msg.sender, copy);
        uint256 price = _priceOf(request);
        // only what arrives during the call counts: tokens sent earlier are in `held` already
        uint256 held = i_rlc.balanceOf(address(this));
        ITaskPayer(msg.sender).payForTask(price, data);
        uint256 received = i_rlc.balanceOf(address(this)) - held;
        if (received < price) revert PaymentMissing(received, price);
        taskId = _openTask(request, copy.params);
    }

    /// @inheritdoc IHub
    function quote(TaskSpec calldata spec) external view returns (uint256) {
        TaskSpec memory copy = spec;
        return _priceOf(_terms(copy));
    }

    /*//////////////////////////////////////////////////////////////
                               SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IHub
    /// @dev `signatures` are EIP-712 `Contribution`s over (task id, result digest, hash of the
    /// callback data), in ascending signer order. A signature counts if its signer is an active
    /// worker of the task's pool with the request's minimum stake and reputation; any other is
    /// skipped (ContributionSkipped), and the task needs `trust` that count. `dissents` are
    /// signatures over other results: a counted signer among them equivocated and is slashed;
    /// other active members lose reputation when the counted signers outnumber them.
    function finalize(
        TaskRequest calldata request,
        bytes32 resultDigest,
        bytes calldata callbackData,
        Signature[] calldata signatures,
        Contribution[] calldata dissents
    ) external nonReentrant {
        _finalize(request, resultDigest, callbackData, signatures, dissents, true);
    }

    /// @inheritdoc IHub
    function finalizeBatch(Finalization[] calldata batch) external nonReentrant returns (uint256 settled) {
        for (uint256 i; i < batch.length; ++i) {
            Finalization calldata task = batch[i];
            if (_finalize(task.request, task.resultDigest, task.callbackData, task.signatures, task.dissents, false)) {
                ++settled;
            }
        }
    }

    /// @inheritdoc IHub
    function claim(TaskRequest calldata request) external nonReentrant {
        _claim(request, true);
    }

    /// @inheritdoc IHub
    function claimBatch(TaskRequest[] calldata requests) external nonReentrant returns (uint256 claimed) {
        for (uint256 i; i < requests.length; ++i) {
            if (_claim(requests[i], false)) ++claimed;
        }
    }

    /// @inheritdoc IHub
    function reportFailure(TaskRequest calldata request, string calldata reason) external nonReentrant {
        _reportFailure(request, reason, true);
    }

    /// @inheritdoc IHub
    function reportFailureBatch(Failure[] calldata failures) external nonReentrant returns (uint256 refunded) {
        for (uint256 i; i < failures.length; ++i) {
            if (_reportFailure(failures[i].request, failures[i].reason, false)) ++refunded;
        }
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IHub
    function balanceOf(address account) public view override(HubState, IHub) returns (uint256) {
        return HubState.balanceOf(account);
    }

    /// @inheritdoc IHub
    function contributionHash(bytes32 taskId, bytes32 resultDigest, bytes32 callbackDataHash)
        public
        view
        override(HubState, IHub)
        returns (bytes32)
    {
        return HubState.contributionHash(taskId, resultDigest, callbackDataHash);
    }

    /// @inheritdoc IHub
    function rlc() external view returns (IERC20) {
        return i_rlc;
    }

    /// @inheritdoc IHub
    function taskStatus(bytes32 taskId) external view returns (TaskStatus) {
        return s_tasks[taskId];
    }

    /// @inheritdoc IHub
    function taskIdOf(TaskRequest calldata request) external pure returns (bytes32) {
        return _idOf(request);
    }

    /*//////////////////////////////////////////////////////////////
                   THE PARTIES' HALF, RUN BY THE REGISTRY
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IHubRegistry
    function registerApp(uint64, bytes32, string calldata) external returns (uint64) {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function registerDataset(uint64, bytes32, string calldata) external returns (uint64) {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function setAppPrice(uint64, uint64) external {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function setDatasetPrice(uint64, uint64) external {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function registerPool(Pool calldata) external returns (uint64) {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function updatePool(uint64, Pool calldata) external {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function joinPool(uint64, uint64) external {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function leavePool() external {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function withdrawStake() external {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function deposit(uint256) external {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function withdraw(uint256) external {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function withdrawTo(address) external {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function slashEquivocation(TaskRequest calldata, Contribution calldata, Contribution calldata) external {
        _delegate();
    }

    /// @inheritdoc IHubRegistry
    function slashSignedAfterLeaving(TaskRequest calldata, Contribution calldata) external {
        _delegate();
    }

    /*//////////////////////////////////////////////////////////////
                    THE MARKET HALF, RUN BY THE MARKET
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IHubMarket
    /// @dev The reentrancy guard is held here, around the market half, as for approveAndCall.
    function matchOrders(
        AppOrder calldata,
        DatasetOrder calldata,
        PoolOrder calldata,
        RequestOrder calldata,
        Signatures calldata
    ) external nonReentrant returns (bytes32) {
        return abi.decode(Address.functionDelegateCall(i_market, msg.data), (bytes32));
    }

    /// @inheritdoc IHubMarket
    function cancelOrders(bytes32[] calldata) external {
        Address.functionDelegateCall(i_market, msg.data);
    }

    /// @inheritdoc IHubMarket
    function orderUse(address signer, bytes32 orderHash) external view returns (uint256 consumed, bool cancelled) {
        uint256 used = s_orderUse[_orderKey(signer, orderHash)];
        return (used & ~ORDER_CANCELLED, used & ORDER_CANCELLED != 0);
    }

    /// @dev Runs this call's function in the registry on this Hub's storage, and returns (or
    /// reverts with) whatever it does; never returns here.
    function _delegate() private {
        address registry = i_registry;
        assembly {
            calldatacopy(0, 0, calldatasize())
            let succeeded := delegatecall(gas(), registry, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(succeeded) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev What the requester paid for a task, read from the request given back.
    function _paid(TaskRequest calldata request) private pure returns (uint256) {
        return uint256(request.appPrice) + request.datasetPrice + request.workerPay + request.poolFee;
    }

    /// @dev Refunds a task past its deadline, or refuses (see Settlement._refuse).
    function _claim(TaskRequest calldata request, bool strict) private returns (bool) {
        bytes32 taskId = _idOf(request);
        TaskStatus status = s_tasks[taskId];
        if (status != TaskStatus.Requested) {
            return _refuse(taskId, abi.encodeWithSelector(TaskNotActive.selector, taskId, status), strict);
        }
        if (block.timestamp <= request.deadline) {
            return _refuse(taskId, abi.encodeWithSelector(DeadlineNotReached.selector, taskId, request.deadline), strict);
        }
        s_tasks[taskId] = TaskStatus.Claimed;
        uint256 amount = _paid(request);
        emit TaskClaimed(taskId, request.refundTo, amount);
        _send(request.refundTo, amount);
        return true;
    }

    /// @dev Refunds a task the oracle cannot serve, or refuses (see Settlement._refuse).
    function _reportFailure(TaskRequest calldata request, string calldata reason, bool strict) private returns (bool) {
        bytes32 taskId = _idOf(request);
        TaskStatus status = s_tasks[taskId];
        bytes memory refusal = "";
        if (status != TaskStatus.Requested) {
            refusal = abi.encodeWithSelector(TaskNotActive.selector, taskId, status);
        } else if (block.timestamp > request.deadline) {
            refusal = abi.encodeWithSelector(DeadlinePassed.selector, taskId, request.deadline);
        } else if (msg.sender != request.oracle) {
            refusal = abi.encodeWithSelector(NotPoolOracle.selector, msg.sender, request.pool, request.oracle);
        } else if (bytes(reason).length > MAX_REASON_LENGTH) {
            refusal = abi.encodeWithSelector(ReasonTooLong.selector, bytes(reason).length, MAX_REASON_LENGTH);
        }
        if (refusal.length != 0) return _refuse(taskId, refusal, strict);
        s_tasks[taskId] = TaskStatus.Failed;
        uint256 amount = _paid(request);
        emit TaskFailed(taskId, request.refundTo, amount, reason);
        _send(request.refundTo, amount);
        return true;
    }
}
