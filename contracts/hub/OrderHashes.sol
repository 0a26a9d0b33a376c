// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IHubOrders} from "../../interfaces/IHubOrders.sol";

/// @title OrderHashes
/// @notice The EIP-712 struct hashes of the market's orders (the `hashStruct` of EIP-712; the
/// domain is the Hub's, added by the caller). The type strings are the orders' fields in
/// declaration order; a request order's `params` is signed as its keccak256, as EIP-712 does
/// for `bytes`. Hashed straight from calldata: a field encoded with dirty high bits hashes to
/// a digest nobody signed, so such an order is refused.
library OrderHashes {
    bytes32 internal constant APP_ORDER_TYPEHASH = keccak256(
        "AppOrder(uint64 app,uint64 price,uint64 volume,uint64 expiry,uint64 onlyPool,uint64 onlyDataset,"
        "address onlyRequester,bytes32 salt)"
    );
    bytes32 internal constant DATASET_ORDER_TYPEHASH = keccak256(
        "DatasetOrder(uint64 dataset,uint64 price,uint64 volume,uint64 expiry,uint64 onlyApp,uint64 onlyPool,"
        "address onlyRequester,bytes32 salt)"
    );
    bytes32 internal constant POOL_ORDER_TYPEHASH = keccak256(
        "PoolOrder(uint64 pool,uint64 price,uint32 callbackGasPrice,uint8 maxTrust,uint64 workerStake,"
        "uint32 workerScore,uint64 volume,uint64 expiry,uint64 onlyApp,uint64 onlyDataset,address onlyRequester,"
        "bytes32 salt)"
    );
    bytes32 internal constant REQUEST_ORDER_TYPEHASH = keccak256(
        "RequestOrder(address requester,uint64 app,uint64 dataset,uint64 pool,uint64 maxPrice,uint8 trust,"
        "uint64 minStake,uint32 minScore,address callback,uint32 callbackGasLimit,uint64 duration,address refundTo,"
        "bytes params,uint64 volume,uint64 expiry,bytes32 salt)"
    );

    // the words of each order's ABI encoding (a request order's head: `params` is an offset)
    uint256 private constant APP_WORDS = 8;
    uint256 private constant DATASET_WORDS = 8;
    uint256 private constant POOL_WORDS = 12;
    uint256 private constant REQUEST_WORDS = 16;
    uint256 private constant PARAMS_WORD = 12;

    function hashApp(IHubOrders.AppOrder calldata order) internal pure returns (bytes32) {
        return _hashStatic(APP_ORDER_TYPEHASH, _offset(order), APP_WORDS);
    }

    function hashDataset(IHubOrders.DatasetOrder calldata order) internal pure returns (bytes32) {
        return _hashStatic(DATASET_ORDER_TYPEHASH, _offset(order), DATASET_WORDS);
    }

    function hashPool(IHubOrders.PoolOrder calldata order) internal pure returns (bytes32) {
        return _hashStatic(POOL_ORDER_TYPEHASH, _offset(order), POOL_WORDS);
    }

    function hashRequest(IHubOrders.RequestOrder calldata order) internal pure returns (bytes32 hash) {
        bytes32 paramsHash = keccak256(order.params);
        bytes32 typeHash = REQUEST_ORDER_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            calldatacopy(add(ptr, 0x20), order, mul(REQUEST_WORDS, 0x20))
            mstore(add(ptr, mul(add(PARAMS_WORD, 1), 0x20)), paramsHash)
            hash := keccak256(ptr, mul(add(REQUEST_WORDS, 1), 0x20))
        }
    }

    /// @dev keccak256(typeHash, the `words` words at calldata offset `at`).
    function _hashStatic(bytes32 typeHash, uint256 at, uint256 words) private pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            calldatacopy(add(ptr, 0x20), at, mul(words, 0x20))
            hash := keccak256(ptr, mul(add(words, 1), 0x20))
        }
    }

    function _offset(IHubOrders.AppOrder calldata order) private pure returns (uint256 at) {
        assembly {
            at := order
        }
    }

    function _offset(IHubOrders.DatasetOrder calldata order) private pure returns (uint256 at) {
        assembly {
            at := order
        }
    }

    function _offset(IHubOrders.PoolOrder calldata order) private pure returns (uint256 at) {
        assembly {
            at := order
        }
    }
}
