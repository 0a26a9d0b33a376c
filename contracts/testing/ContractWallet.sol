// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice A contract account (a dapp holding funds, a multisig) that signs through ERC-1271:
/// a signature is its own when its owner key signed the digest, and only while `s_accepting`.
/// Its owner makes it call anything (deposit, register an app, cancel its orders).
contract ContractWallet is IERC1271 {
    error NotOwner(address caller);
    error CallFailed(bytes reason);

    address public immutable i_owner;
    bool public s_accepting = true;

    constructor(address owner) {
        i_owner = owner;
    }

    function execute(address target, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != i_owner) revert NotOwner(msg.sender);
        (bool ok, bytes memory reply) = target.call(data);
        if (!ok) revert CallFailed(reply);
        return reply;
    }

    function setAccepting(bool accepting) external {
        if (msg.sender != i_owner) revert NotOwner(msg.sender);
        s_accepting = accepting;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecover(hash, signature);
        if (s_accepting && error == ECDSA.RecoverError.NoError && signer == i_owner) {
            return IERC1271.isValidSignature.selector;
        }
        return 0xffffffff;
    }
}

/// @notice A signer that vouches for any digest only if, while asked, it can make a prepared call
/// that changes state (reenter the Hub, move tokens): the Hub asks with a staticcall, so it cannot.
contract ReentrantSigner {
    address public immutable i_target;
    bytes public s_call;

    constructor(address target, bytes memory call) {
        i_target = target;
        s_call = call;
    }

    function isValidSignature(bytes32, bytes calldata) external returns (bytes4) {
        (bool ok,) = i_target.call(s_call);
        return ok ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }
}
