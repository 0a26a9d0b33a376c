// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IHubOrders
/// @notice The market's orders, errors and events (the functions are in IHubMarket). The market: every party states its terms in an order signed off chain (EIP-712, under
/// the Hub's domain: name "CumulusHub", version "1", the chain's id and the Hub's address), and
/// one call checks that an app order, a dataset order (when a dataset is asked for), a pool order
/// and a request order agree before it locks any money. Each match consumes one unit of each
/// order's volume and opens a task exactly as `requestTask` does (the same TaskRequested event).
/// An order is known by its EIP-712 digest and its signer: its volume is counted, and it is
/// cancelled, under that pair. Zero in a restriction means "anyone".
interface IHubOrders {
    /// @notice An application owner's terms: its price for one task, how many tasks, until when.
    /// Signed by the application's owner.
    struct AppOrder {
        uint64 app;
        uint64 price; // nRLC per task
        uint64 volume; // tasks this order may open
        uint64 expiry; // the last block time it may be matched at
        uint64 onlyPool; // restriction: 0, or the one pool that may run it
        uint64 onlyDataset; // restriction: 0, or the one dataset it may be used with
        address onlyRequester; // restriction: 0, or the one requester it is sold to
        bytes32 salt; // tells apart orders of identical terms
    }

    /// @notice A dataset owner's terms. Signed by the dataset's owner.
    struct DatasetOrder {
        uint64 dataset;
        uint64 price; // nRLC per task
        uint64 volume;
        uint64 expiry;
        uint64 onlyApp;
        uint64 onlyPool;
        address onlyRequester;
        bytes32 salt;
    }

    /// @notice A pool's terms and what it can deliver. Signed by the pool's owner or its oracle.
    struct PoolOrder {
        uint64 pool;
        uint64 price; // nRLC per replica: a task at trust t pays t times this
        uint32 callbackGasPrice; // nRLC per unit of callback gas
        uint8 maxTrust; // the most agreeing workers it offers per task
        uint64 workerStake; // the stake each of its signers holds at least
        uint32 workerScore; // the reputation each of its signers holds at least
        uint64 volume;
        uint64 expiry;
        uint64 onlyApp;
        uint64 onlyDataset;
        address onlyRequester;
        bytes32 salt;
    }

    /// @notice What a requester asks for and the most it pays. Signed by `requester` (an
    /// account, or a contract through ERC-1271), unless the requester itself sends the match.
    struct RequestOrder {
        address requester; // who pays and is called back as the requester
        uint64 app;
        uint64 dataset; // 0 for none
        uint64 pool; // 0 for any pool
        uint64 maxPrice; // the most one task may cost, in nRLC, whatever orders it is matched with
        uint8 trust; // agreeing workers required
        uint64 minStake; // each signer's least stake
        uint32 minScore; // each signer's least reputation
        address callback; // a contract that receives onTaskResult, or 0
        uint32 callbackGasLimit;
        uint64 duration; // seconds until the deadline, 0 for the pool's maximum
        address refundTo; // 0 for the requester
        bytes params; // the application's arguments (hashed with keccak256 when signed)
        uint64 volume;
        uint64 expiry;
        bytes32 salt;
    }

    /// @notice The signatures of a match's orders (65-byte ECDSA, 64-byte EIP-2098, or whatever
    /// an ERC-1271 signer accepts). `dataset` is ignored when no dataset is asked for, `request`
    /// when the requester sends the match itself.
    struct Signatures {
        bytes app;
        bytes dataset;
        bytes pool;
        bytes request;
    }

    /// @notice The orders of a match, by kind (in errors).
    enum OrderKind {
        App,
        Dataset,
        Pool,
        Request
    }

    /// @notice A term two orders must agree on (in errors).
    enum Term {
        App, // the app an order is for, or the one it is restricted to
        Dataset,
        Pool,
        Requester,
        Trust, // the pool offers fewer agreeing workers than asked
        Stake, // the pool's signers hold less stake than asked
        Score // the pool's signers hold less reputation than asked
    }

    /// @notice The order is past its expiry.
    error OrderExpired(OrderKind kind, bytes32 orderHash, uint64 expiry);
    /// @notice Every unit of the order's volume was consumed.
    error OrderConsumed(OrderKind kind, bytes32 orderHash, uint64 volume);
    /// @notice The order's signer cancelled it.
    error OrderWasCancelled(OrderKind kind, bytes32 orderHash);
    /// @notice The order's signature is not by the party that must sign it.
    error InvalidOrderSignature(OrderKind kind, bytes32 orderHash);
    /// @notice The order of `kind` does not accept what the match has for `term`: the match
    /// has `matched`, the order accepts `accepted` (for Trust, Stake and Score: at most that).
    error OrdersDoNotMatch(OrderKind kind, Term term, uint256 matched, uint256 accepted);
    /// @notice Who pays by approveAndCall must be the request order's requester.
    error PayerNotRequester(address payer, address requester);

    /// @notice The orders opened task `taskId` (whose TaskRequested is in the same transaction);
    /// each lost one unit of volume. `datasetOrder` is zero when no dataset was asked for.
    event OrdersMatched(
        bytes32 indexed taskId, bytes32 appOrder, bytes32 datasetOrder, bytes32 poolOrder, bytes32 requestOrder
    );
    /// @notice `signer` cancelled its order `orderHash` for good.
    event OrderCancelled(address indexed signer, bytes32 indexed orderHash);
}
