// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IHubOrders} from "../../interfaces/IHubOrders.sol";
import {Delegated} from "./Delegated.sol";
import {Requests} from "./Requests.sol";
import {OrderHashes} from "./OrderHashes.sol";

/// @dev The transient slot in which the Hub's receiveApproval hands matchOrders the account
/// that paid by approveAndCall (cleared by matchOrders as it starts).
bytes32 constant APPROVED_PAYER_SLOT = keccak256("cumulus.hub.market.approved-payer");

/// @title HubMarket
/// @notice The market half of the Hub: opens a task from signed orders that agree, on the same
/// path `requestTask` takes (the orders' prices in place of the registries' standing prices),
/// and cancels orders. Kept apart so that the Hub's own code stays within the contract size
/// limit: the Hub creates it and runs it by delegatecall on the Hub's storage, so orders are
/// signed under the Hub's EIP-712 domain and counted in the Hub's storage.
contract HubMarket is Delegated, Requests, IHubOrders {
    // the digests of one match's orders (zero for a dataset order when no dataset is asked for)
    // and who signed the pool order (its owner or its oracle)
    struct Digests {
        bytes32 app;
        bytes32 dataset;
        bytes32 pool;
        bytes32 request;
        address poolSigner;
    }

    constructor(IERC20 rlcToken) Delegated(rlcToken) {}

    /// @notice See IHubMarket.matchOrders. The Hub holds the reentrancy guard around this call.
    function matchOrders(
        AppOrder calldata appOrder,
        DatasetOrder calldata datasetOrder,
        PoolOrder calldata poolOrder,
        RequestOrder calldata requestOrder,
        Signatures calldata signatures
    ) external onlyThroughHub returns (bytes32 taskId) {
        address payer = _takeApprovedPayer();
        address requester = requestOrder.requester;
        if (payer != address(0) && payer != requester) revert PayerNotRequester(payer, requester);
        // the request order needs no signature when its requester sends the match (or pays by approveAndCall)
        bool requesterSends = payer != address(0) || msg.sender == requester;
        (TaskRequest memory request, bytes memory params) = _agree(appOrder, datasetOrder, poolOrder, requestOrder);
        Digests memory digests =
            _checkSignatures(appOrder, datasetOrder, poolOrder, requestOrder, signatures, request, requesterSends);
        _consume(appOrder, datasetOrder, poolOrder, requestOrder, digests, request);
        taskId = _openTask(request, params);
        emit OrdersMatched(taskId, digests.app, digests.dataset, digests.pool, digests.request);
        _charge(requester, _priceOf(request), payer != address(0), requesterSends);
    }

    /// @notice See IHubMarket.cancelOrders.
    function cancelOrders(bytes32[] calldata orderHashes) external onlyThroughHub {
        for (uint256 i; i < orderHashes.length; ++i) {
            bytes32 key = _orderKey(msg.sender, orderHashes[i]);
            s_orderUse[key] |= ORDER_CANCELLED;
            emit OrderCancelled(msg.sender, orderHashes[i]);
        }
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev The account that paid by approveAndCall for this call, or zero; clears the slot.
    function _takeApprovedPayer() private returns (address payer) {
        bytes32 slot = APPROVED_PAYER_SLOT;
        assembly ("memory-safe") {
            payer := tload(slot)
            tstore(slot, 0)
        }
    }

    /// @dev The request the orders agree on: the parties the registries name, the prices the
    /// orders set, the limits and the requester's maximum checked; and the app's arguments.
    function _agree(
        AppOrder calldata appOrder,
        DatasetOrder calldata datasetOrder,
        PoolOrder calldata poolOrder,
        RequestOrder calldata requestOrder
    ) private view returns (TaskRequest memory request, bytes memory params) {
        TaskSpec memory spec = _specOf(requestOrder, poolOrder.pool);
        _checkTerms(appOrder, datasetOrder, poolOrder, requestOrder);
        request = _terms(spec);
        // the orders' prices, each signed by its party, in place of the standing ones
        request.appPrice = appOrder.price;
        if (spec.dataset != 0) request.datasetPrice = datasetOrder.price;
        (request.workerPay, request.poolFee) = _poolPay(
            poolOrder.price, spec.trust, s_pools[spec.pool].ownerFeeBps, request.callbackGasLimit,
            poolOrder.callbackGasPrice
        );
        request = _complete(requestOrder.requester, spec, request);
        params = spec.params;
    }

    /// @dev Consumes one unit of each order.
    function _consume(
        AppOrder calldata appOrder,
        DatasetOrder calldata datasetOrder,
        PoolOrder calldata poolOrder,
        RequestOrder calldata requestOrder,
        Digests memory digests,
        TaskRequest memory request
    ) private {
        _use(OrderKind.App, digests.app, request.appOwner, appOrder.volume, appOrder.expiry);
        if (request.dataset != 0) {
            _use(OrderKind.Dataset, digests.dataset, request.datasetOwner, datasetOrder.volume, datasetOrder.expiry);
        }
        _use(OrderKind.Pool, digests.pool, digests.poolSigner, poolOrder.volume, poolOrder.expiry);
        _use(OrderKind.Request, digests.request, request.requester, requestOrder.volume, requestOrder.expiry);
    }

    /// @dev The TaskSpec the request order asks for, run by `pool` (which it must accept).
    function _specOf(RequestOrder calldata order, uint64 pool) private pure returns (TaskSpec memory spec) {
        if (order.pool != 0 && order.pool != pool) {
            revert OrdersDoNotMatch(OrderKind.Request, Term.Pool, pool, order.pool);
        }
        spec = TaskSpec({
            app: order.app,
            dataset: order.dataset,
            pool: pool,
            trust: order.trust,
            minStake: order.minStake,
            minScore: order.minScore,
            callbackGasLimit: order.callbackGasLimit,
            duration: order.duration,
            maxPrice: order.maxPrice,
            callback: order.callback,
            refundTo: order.refundTo,
            params: order.params
        });
    }

    /// @dev Each order is for what the request asks, and accepts the others (its restrictions);
    /// the pool offers the trust, stake and reputation asked for.
    function _checkTerms(
        AppOrder calldata appOrder,
        DatasetOrder calldata datasetOrder,
        PoolOrder calldata poolOrder,
        RequestOrder calldata requestOrder
    ) private pure {
        (uint64 app, uint64 dataset, uint64 pool) = (requestOrder.app, requestOrder.dataset, poolOrder.pool);
        uint160 requester = uint160(requestOrder.requester);
        _require(OrderKind.App, Term.App, app, appOrder.app, false);
        _require(OrderKind.App, Term.Pool, pool, appOrder.onlyPool, true);
        _require(OrderKind.App, Term.Dataset, dataset, appOrder.onlyDataset, true);
        _require(OrderKind.App, Term.Requester, requester, uint160(appOrder.onlyRequester), true);
        if (dataset != 0) {
            _require(OrderKind.Dataset, Term.Dataset, dataset, datasetOrder.dataset, false);
            _require(OrderKind.Dataset, Term.App, app, datasetOrder.onlyApp, true);
            _require(OrderKind.Dataset, Term.Pool, pool, datasetOrder.onlyPool, true);
            _require(OrderKind.Dataset, Term.Requester, requester, uint160(datasetOrder.onlyRequester), true);
        }
        _require(OrderKind.Pool, Term.App, app, poolOrder.onlyApp, true);
        _require(OrderKind.Pool, Term.Dataset, dataset, poolOrder.onlyDataset, true);
        _require(OrderKind.Pool, Term.Requester, requester, uint160(poolOrder.onlyRequester), true);
        if (requestOrder.trust > poolOrder.maxTrust) {
            revert OrdersDoNotMatch(OrderKind.Pool, Term.Trust, requestOrder.trust, poolOrder.maxTrust);
        }
        if (requestOrder.minStake > poolOrder.workerStake) {
            revert OrdersDoNotMatch(OrderKind.Pool, Term.Stake, requestOrder.minStake, poolOrder.workerStake);
        }
        if (requestOrder.minScore > poolOrder.workerScore) {
            revert OrdersDoNotMatch(OrderKind.Pool, Term.Score, requestOrder.minScore, poolOrder.workerScore);
        }
    }

    /// @dev The match has `matched` for `term`; the order accepts `accepted` (or anything, when
    /// `zeroIsAny` and it is zero).
    function _require(OrderKind kind, Term term, uint256 matched, uint256 accepted, bool zeroIsAny) private pure {
        if (matched != accepted && !(zeroIsAny && accepted == 0)) {
            revert OrdersDoNotMatch(kind, term, matched, accepted);
        }
    }

    /// @dev The orders' digests under the Hub's domain, once each is shown to be signed by its
    /// party: the app's owner, the dataset's owner, the pool's owner or oracle, and the
    /// requester (unless it sends the match itself).
    function _checkSignatures(
        AppOrder calldata appOrder,
        DatasetOrder calldata datasetOrder,
        PoolOrder calldata poolOrder,
        RequestOrder calldata requestOrder,
        Signatures calldata signatures,
        TaskRequest memory request,
        bool requesterSends
    ) private view returns (Digests memory digests) {
        digests.app = _hashTypedDataV4(OrderHashes.hashApp(appOrder));
        _checkSigner(OrderKind.App, digests.app, signatures.app, request.appOwner);
        if (request.dataset != 0) {
            digests.dataset = _hashTypedDataV4(OrderHashes.hashDataset(datasetOrder));
            _checkSigner(OrderKind.Dataset, digests.dataset, signatures.dataset, request.datasetOwner);
        }
        digests.pool = _hashTypedDataV4(OrderHashes.hashPool(poolOrder));
        digests.poolSigner = _poolSigner(digests.pool, signatures.pool, request);
        digests.request = _hashTypedDataV4(OrderHashes.hashRequest(requestOrder));
        if (!requesterSends) _checkSigner(OrderKind.Request, digests.request, signatures.request, request.requester);
    }

    /// @dev Reverts unless `signer` signed `digest`: an ECDSA signature first (no code lookup for
    /// the usual signer, an account), else the signer's ERC-1271 answer.
    function _checkSigner(OrderKind kind, bytes32 digest, bytes calldata signature, address signer) private view {
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (error == ECDSA.RecoverError.NoError && recovered == signer) return;
        if (SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature)) return;
        revert InvalidOrderSignature(kind, digest);
    }

    /// @dev Who signed a pool order: the pool's owner or its oracle (as the registry has them now).
    function _poolSigner(bytes32 digest, bytes calldata signature, TaskRequest memory request)
        private
        view
        returns (address)
    {
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (error == ECDSA.RecoverError.NoError && (recovered == request.poolOwner || recovered == request.oracle)) {
            return recovered;
        }
        if (SignatureChecker.isValidERC1271SignatureNowCalldata(request.poolOwner, digest, signature)) {
            return request.poolOwner;
        }
        if (SignatureChecker.isValidERC1271SignatureNowCalldata(request.oracle, digest, signature)) {
            return request.oracle;
        }
        revert InvalidOrderSignature(OrderKind.Pool, digest);
    }

    /// @dev Consumes one unit of `signer`'s order `digest`, unless expired, cancelled or used up.
    function _use(OrderKind kind, bytes32 digest, address signer, uint64 volume, uint64 expiry) private {
        if (block.timestamp > expiry) revert OrderExpired(kind, digest, expiry);
        bytes32 key = _orderKey(signer, digest);
        uint256 used = s_orderUse[key];
        if (used & ORDER_CANCELLED != 0) revert OrderWasCancelled(kind, digest);
        if (used >= volume) revert OrderConsumed(kind, digest, volume);
        // cannot overflow: used < volume < 2**64
        unchecked {
            s_orderUse[key] = used + 1;
        }
    }

    /// @dev Takes the price from the requester: by the allowance it just gave (approveAndCall),
    /// from its balance else its allowance (it sends the match), or from its balance only (anyone
    /// else sends the match: the request order's signature is what allows it).
    function _charge(address requester, uint256 price, bool approved, bool requesterSends) private {
        if (approved) {
            _pull(requester, price);
        } else if (requesterSends) {
            _collect(requester, price, true);
        } else {
            uint256 balance = s_balances[requester];
            if (balance < price) revert InsufficientBalance(requester, balance, price);
            // cannot underflow: checked just above; the locked price replaces the balance
            unchecked {
                s_balances[requester] = balance - price;
            }
        }
    }
}
