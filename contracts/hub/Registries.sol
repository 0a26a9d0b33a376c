// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IHubTypes} from "../../interfaces/IHubTypes.sol";
import {IHubErrors} from "../../interfaces/IHubErrors.sol";
import {IHubEvents} from "../../interfaces/IHubEvents.sol";

/// @title Registries
/// @notice Applications, datasets and worker pools: who owns them, what they cost, and where
/// the grid finds them. Ids start at 1 so that 0 always means "none".
abstract contract Registries is IHubTypes, IHubErrors, IHubEvents {
    /*//////////////////////////////////////////////////////////////
                                 LIMITS
    //////////////////////////////////////////////////////////////*/

    uint256 public constant MAX_URI_LENGTH = 512;
    uint16 public constant MAX_OWNER_FEE_BPS = 10_000;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    mapping(uint64 app => Asset) public s_apps;
    mapping(uint64 dataset => Asset) public s_datasets;
    mapping(uint64 pool => Pool) public s_pools;
    uint64 public s_appCount;
    uint64 public s_datasetCount;
    uint64 public s_poolCount;

    /*//////////////////////////////////////////////////////////////
                              REGISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers an application run by the grid; the caller owns it and is paid `price`
    /// for each task that uses it.
    /// @param price nRLC per task.
    /// @param checksum sha256 of the application's binary (0 for a shared app).
    /// @param uri The grid app's name or URI.
    /// @return app The new application's id.
    function registerApp(uint64 price, bytes32 checksum, string calldata uri) external returns (uint64 app) {
        _checkUri(uri);
        app = ++s_appCount;
        s_apps[app] = Asset({owner: msg.sender, price: price, checksum: checksum, uri: uri});
        emit AppRegistered(app, msg.sender, price, checksum, uri);
    }

    /// @notice Registers a dataset; the caller owns it and is paid `price` per task using it.
    /// @param price nRLC per task.
    /// @param checksum sha256 of the data.
    /// @param uri Where the grid fetches the data (a grid data id or a URI).
    /// @return dataset The new dataset's id.
    function registerDataset(uint64 price, bytes32 checksum, string calldata uri) external returns (uint64 dataset) {
        _checkUri(uri);
        dataset = ++s_datasetCount;
        s_datasets[dataset] = Asset({owner: msg.sender, price: price, checksum: checksum, uri: uri});
        emit DatasetRegistered(dataset, msg.sender, price, checksum, uri);
    }

    /// @notice Changes an application's price for future tasks; its owner only.
    function setAppPrice(uint64 app, uint64 price) external {
        address owner = s_apps[app].owner;
        if (owner == address(0)) revert UnknownApp(app);
        _checkOwner(owner);
        s_apps[app].price = price;
        emit AppPriceChanged(app, price);
    }

    /// @notice Changes a dataset's price for future tasks; its owner only.
    function setDatasetPrice(uint64 dataset, uint64 price) external {
        address owner = s_datasets[dataset].owner;
        if (owner == address(0)) revert UnknownDataset(dataset);
        _checkOwner(owner);
        s_datasets[dataset].price = price;
        emit DatasetPriceChanged(dataset, price);
    }

    /// @notice Registers a worker pool; the caller owns it. `config.owner` is ignored.
    /// @param config Price, owner's fee share, oracle key, minimum stake and maximum duration.
    /// @return pool The new pool's id.
    function registerPool(Pool calldata config) external returns (uint64 pool) {
        Pool memory checked = _checkPool(config, msg.sender);
        pool = ++s_poolCount;
        s_pools[pool] = checked;
        emit PoolRegistered(pool, msg.sender, checked);
    }

    /// @notice Changes a pool's settings for future tasks (the oracle key at once); its owner only.
    /// `config.owner` transfers the pool.
    function updatePool(uint64 pool, Pool calldata config) external {
        address owner = s_pools[pool].owner;
        if (owner == address(0)) revert UnknownPool(pool);
        _checkOwner(owner);
        Pool memory checked = _checkPool(config, config.owner);
        s_pools[pool] = checked;
        emit PoolUpdated(pool, checked);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _checkUri(string calldata uri) private pure {
        if (bytes(uri).length > MAX_URI_LENGTH) revert UriTooLong(bytes(uri).length, MAX_URI_LENGTH);
    }

    function _checkOwner(address owner) private view {
        if (msg.sender != owner) revert NotOwner(msg.sender, owner);
    }

    function _checkPool(Pool calldata config, address owner) private pure returns (Pool memory checked) {
        if (owner == address(0) || config.oracle == address(0)) revert ZeroAddress();
        if (config.ownerFeeBps > MAX_OWNER_FEE_BPS) revert InvalidFeeShare(config.ownerFeeBps, MAX_OWNER_FEE_BPS);
        checked = config;
        checked.owner = owner;
    }
}
