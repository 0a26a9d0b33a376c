// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Task} from "../Task.sol";
import {IHub} from "../../interfaces/IHub.sol";
import {IHubTypes} from "../../interfaces/IHubTypes.sol";

/// @title SumDapp
/// @notice Adds up the numbers its users send. A user pays with
/// `rlc.approveAndCall(address(sumDapp), sumDapp.price(), bytes("3 4 5"))`; the pool's workers
/// run the grid app with the arguments 3, 4 and 5; the Hub calls back with the sum they agreed on.
contract SumDapp is Task {
    uint64 public immutable i_app; // registry id of the grid app
    uint64 public immutable i_pool; // registry id of the pool that runs it
    uint8 public immutable i_trust; // workers that must agree on each result
    uint32 public constant CALLBACK_GAS = 60_000; // enough to store one word and emit an event

    mapping(bytes32 taskId => uint256 result) public s_results;

    event ResultStored(bytes32 indexed taskId, uint256 result);

    constructor(IHub hub, uint64 app, uint64 pool, uint8 trust) Task(hub) {
        i_app = app;
        i_pool = pool;
        i_trust = trust;
    }

    /// @notice What a request costs now, in nRLC: the most a user's approveAndCall must allow.
    function price() external view returns (uint256) {
        return i_hub.quote(_spec(""));
    }

    /// @dev An end user called rlc.approveAndCall(address(this), maxPayment, data): `data` becomes
    /// the app's arguments (UTF-8 text, split into words as a shell does).
    function _onPayment(address payer, uint256 maxPayment, bytes calldata data) internal override {
        _requestTask(_spec(data), payer, maxPayment);
    }

    /// @dev Called by the Hub only, for tasks this contract requested: the app wrote
    /// abi.encode(uint256) to its callback file.
    function _onTaskResult(bytes32 taskId, bytes32, bytes calldata callbackData) internal override {
        uint256 result = abi.decode(callbackData, (uint256));
        s_results[taskId] = result;
        emit ResultStored(taskId, result);
    }

    function _spec(bytes memory params) private view returns (IHubTypes.TaskSpec memory) {
        return IHubTypes.TaskSpec({
            app: i_app,
            dataset: 0, // none
            pool: i_pool,
            trust: i_trust,
            minStake: 0, // each signer's stake: at least the pool's minimum
            minScore: 0, // each signer's reputation (counted contributions, less for each outvote)
            callbackGasLimit: CALLBACK_GAS,
            duration: 0, // the pool's maximum
            maxPrice: 0, // set by _requestTask to what the user offered
            callback: address(this), // answered here (and priced: the pool charges callback gas)
            refundTo: address(0), // set by _requestTask to the payer
            params: params
        });
    }
}
