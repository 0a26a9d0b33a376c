// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IHubTypes} from "../../interfaces/IHubTypes.sol";
import {IHubErrors} from "../../interfaces/IHubErrors.sol";
import {IHubEvents} from "../../interfaces/IHubEvents.sol";

/// @title HubState
/// @notice The Hub's storage and the bookkeeping both of its halves share: the Hub (requests
/// and settlement) and the HubRegistry it delegates to (registries, stakes, accounts, proofs
/// of fault). Both inherit this first, so they read and write the same slots.
/// @dev RLC is never created or lost: the Hub's token balance covers every balance, earning,
/// stake and open task's price. The Hub is paid only by the payer's own transfer (or its own
/// balance) in the call that asks for something: tokens sent without a call are nobody's.
abstract contract HubState is ReentrancyGuardTransient, EIP712, IHubTypes, IHubErrors, IHubEvents {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 LIMITS
    //////////////////////////////////////////////////////////////*/

    bytes32 public constant CONTRIBUTION_TYPEHASH =
        keccak256("Contribution(bytes32 taskId,bytes32 resultDigest,bytes32 callbackDataHash)");
    uint16 public constant MAX_OWNER_FEE_BPS = 10_000;
    // the flag a cancelled order's use count carries: above any volume, so it can never match again
    uint256 internal constant ORDER_CANCELLED = 1 << 255;
    // the ABI encoding of a TaskRequest: 22 static fields of one word each
    uint256 internal constant REQUEST_SIZE = 22 * 32;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    IERC20 internal immutable i_rlc;

    mapping(uint64 app => Asset) public s_apps;
    mapping(uint64 dataset => Asset) public s_datasets;
    mapping(uint64 pool => Pool) public s_pools;
    uint64 public s_appCount;
    uint64 public s_datasetCount;
    uint64 public s_poolCount;

    /// @notice What each account may withdraw: refunds, deposits, owners' earnings and slashed
    /// stakes (a worker's earnings are kept in its record: see balanceOf).
    mapping(address account => uint256) public s_balances;

    /// @notice Each worker's pool, stake, earnings and reputation, in one slot: a finalize
    /// reads and writes it once per signer.
    mapping(address worker => Worker) public s_workers;

    mapping(bytes32 taskId => TaskStatus) public s_tasks;

    /// @dev Units of volume each signed order has opened, under `_orderKey(signer, digest)`,
    /// with the ORDER_CANCELLED flag once its signer cancelled it (see HubMarket).
    mapping(bytes32 signedOrder => uint256) internal s_orderUse;

    constructor(IERC20 rlcToken) EIP712("CumulusHub", "1") {
        if (address(rlcToken) == address(0)) revert ZeroAddress();
        i_rlc = rlcToken;
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice What `account` may withdraw: its balance and, for a worker, its earnings.
    function balanceOf(address account) public view virtual returns (uint256) {
        return s_balances[account] + s_workers[account].earnings;
    }

    /// @notice The EIP-712 digest a worker signs for a contribution.
    function contributionHash(bytes32 taskId, bytes32 resultDigest, bytes32 callbackDataHash)
        public
        view
        virtual
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(CONTRIBUTION_TYPEHASH, taskId, resultDigest, callbackDataHash)));
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Adds to an account's balance; the amount was already owed (locked or staked).
    function _credit(address account, uint256 amount) internal {
        if (amount != 0) s_balances[account] += amount;
    }

    /// @dev Pays out of escrow.
    function _send(address to, uint256 amount) internal {
        i_rlc.safeTransfer(to, amount);
    }

    /// @dev Takes `amount` from `payer` by a transfer in this very call.
    function _pull(address payer, uint256 amount) internal {
        i_rlc.safeTransferFrom(payer, address(this), amount);
    }

    /// @dev Forgets a worker, keeping what it earned withdrawable.
    function _dropWorker(address worker, uint64 earnings) internal {
        delete s_workers[worker];
        _credit(worker, earnings);
    }

    /// @dev Takes a worker's whole stake for `beneficiary` and removes it from `pool`, on proof
    /// of `fault`; false (and nothing done) when it is not in that pool (any more).
    function _slash(address worker, bytes32 taskId, uint64 pool, address beneficiary, Fault fault)
        internal
        returns (bool)
    {
        Worker memory record = s_workers[worker];
        if (record.pool != pool) return false;
        _dropWorker(worker, record.earnings);
        _credit(beneficiary, record.stake);
        emit WorkerSlashed(worker, taskId, record.stake, fault, beneficiary);
        return true;
    }

    /// @dev Where an order's use is counted: an order is its EIP-712 digest and its signer.
    function _orderKey(address signer, bytes32 orderHash) internal pure returns (bytes32 key) {
        assembly ("memory-safe") {
            mstore(0, signer)
            mstore(0x20, orderHash)
            key := keccak256(0, 0x40)
        }
    }

    /// @dev Where a worker's record is stored. The record's word, as a settlement reads it
    /// raw, holds (Solidity packs from the low-order end) the pool in bits 0-63, the stake in
    /// 64-127, earnings in 128-191, the score in 192-223 and leftAt in 224-255.
    function _workerSlot(address worker) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0, worker)
            mstore(0x20, s_workers.slot)
            slot := keccak256(0, 0x40)
        }
    }

    /// @dev keccak256(abi.encode(request)), hashed straight from calldata: a request whose
    /// encoding is not canonical gets an id no task has, so it is refused as unknown.
    function _idOf(TaskRequest calldata request) internal pure returns (bytes32 id) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, request, REQUEST_SIZE)
            id := keccak256(ptr, REQUEST_SIZE)
        }
    }

    /// @dev The signer of `digest`, or zero for an invalid (or malleable) signature.
    function _recover(bytes32 digest, Signature calldata signature) internal view returns (address signer) {
        assembly ("memory-safe") {
            signer := recoverCompact(digest, calldataload(signature), calldataload(add(signature, 0x20)))

            // ecrecover of an EIP-2098 signature (r, vs: the parity in the top bit of vs), zero when
            // invalid; an s in the upper half of the curve order is refused (EIP-2: the twin of a
            // valid signature). Settlement's hot loop holds the same code, inline.
            function recoverCompact(hash, r, vs) -> recovered {
                let s := and(vs, 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
                if iszero(gt(s, 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0)) {
                    let ptr := mload(0x40)
                    mstore(ptr, hash)
                    mstore(add(ptr, 0x20), add(shr(255, vs), 27))
                    mstore(add(ptr, 0x40), r)
                    mstore(add(ptr, 0x60), s)
                    mstore(0, 0)
                    pop(staticcall(gas(), 1, ptr, 0x80, 0, 0x20))
                    recovered := mload(0)
                }
            }
        }
    }
}
