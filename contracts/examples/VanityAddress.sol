// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IHub} from "../../interfaces/IHub.sol";
import {IHubTypes} from "../../interfaces/IHubTypes.sol";
import {Task} from "../Task.sol";

/// @title VanityAddress
/// @notice Finds a CREATE2 salt that gives a contract address starting with a chosen prefix.
/// A user pays with `rlc.approveAndCall(vanity, maxPayment, abi.encode(prefix, deployer,
/// initCodeHash))`; the pool's workers search, and the found address lands in `s_found`.
contract VanityAddress is Task {
    error InvalidPrefix(string prefix);

    event VanityRequested(bytes32 indexed taskId, address indexed user, string prefix, address deployer, bytes32 initCodeHash);
    event VanityFound(bytes32 indexed taskId, address found, bytes32 salt);
    event VanityRejected(bytes32 indexed taskId, address derived);

    uint256 public constant MAX_PREFIX_LENGTH = 8;

    uint64 public immutable i_app;
    uint64 public immutable i_pool;
    uint8 public immutable i_trust;
    uint32 public immutable i_callbackGasLimit;

    /// @notice The address found for each task (zero until answered).
    mapping(bytes32 taskId => address found) public s_found;
    // the hash of what each open task asked for, so a reported salt is checked on chain
    mapping(bytes32 taskId => bytes32 request) private s_requests;

    constructor(IHub hub, uint64 app, uint64 pool, uint8 trust, uint32 callbackGasLimit) Task(hub) {
        i_app = app;
        i_pool = pool;
        i_trust = trust;
        i_callbackGasLimit = callbackGasLimit;
    }

    /// @notice What a request costs now, in nRLC: the most a user's approveAndCall must allow
    /// (the Hub's quote for this dapp's task; the prefix does not change it).
    function price() external view returns (uint256) {
        return i_hub.quote(_spec(""));
    }

    function _onPayment(address payer, uint256 amount, bytes calldata data) internal override {
        (string memory prefix, address deployer, bytes32 initCodeHash) = abi.decode(data, (string, address, bytes32));
        _checkPrefix(prefix);
        bytes memory params = abi.encodePacked(
            prefix, " ", Strings.toHexString(deployer), " ", Strings.toHexString(uint256(initCodeHash), 32)
        );
        bytes32 taskId = _requestTask(_spec(params), payer, amount);
        s_requests[taskId] = keccak256(abi.encode(prefix, deployer, initCodeHash));
        emit VanityRequested(taskId, payer, prefix, deployer, initCodeHash);
    }

    /// @dev callbackData is abi.encode(bytes32 salt, string prefix, address deployer, bytes32
    /// initCodeHash). Nothing the workers report is taken on trust: the address is derived
    /// here and kept only if it answers this task's request and starts with its prefix.
    function _onTaskResult(bytes32 taskId, bytes32, bytes calldata callbackData) internal override {
        (bytes32 salt, string memory prefix, address deployer, bytes32 initCodeHash) =
            abi.decode(callbackData, (bytes32, string, address, bytes32));
        address derived = address(
            uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), deployer, salt, initCodeHash))))
        );
        bool answersRequest = s_requests[taskId] == keccak256(abi.encode(prefix, deployer, initCodeHash));
        if (!answersRequest || !_hasPrefix(derived, prefix)) {
            emit VanityRejected(taskId, derived);
            return;
        }
        delete s_requests[taskId];
        s_found[taskId] = derived;
        emit VanityFound(taskId, derived, salt);
    }

    function _spec(bytes memory params) private view returns (IHubTypes.TaskSpec memory) {
        return IHubTypes.TaskSpec({
            app: i_app,
            dataset: 0,
            pool: i_pool,
            trust: i_trust,
            minStake: 0, // the pool's minimum
            minScore: 0, // any active member
            callbackGasLimit: i_callbackGasLimit,
            duration: 0,
            maxPrice: 0, // set by _requestTask to what the user offered
            callback: address(this), // answered here, and priced: the pool charges callback gas
            refundTo: address(0), // set by _requestTask to the payer
            params: params
        });
    }

    function _hasPrefix(address account, string memory prefix) private pure returns (bool) {
        bytes memory hexAddress = bytes(Strings.toHexString(account)); // "0x" + 40 lowercase digits
        bytes memory wanted = bytes(prefix);
        for (uint256 i; i < wanted.length; ++i) {
            bytes1 c = wanted[i];
            if (c >= "A" && c <= "F") c = bytes1(uint8(c) + 32); // compare in lowercase
            if (hexAddress[i + 2] != c) return false;
        }
        return true;
    }

    function _checkPrefix(string memory prefix) private pure {
        bytes memory raw = bytes(prefix);
        if (raw.length == 0 || raw.length > MAX_PREFIX_LENGTH) revert InvalidPrefix(prefix);
        for (uint256 i; i < raw.length; ++i) {
            bytes1 c = raw[i];
            bool hex_ = (c >= "0" && c <= "9") || (c >= "a" && c <= "f") || (c >= "A" && c <= "F");
            if (!hex_) revert InvalidPrefix(prefix);
        }
    }
}
