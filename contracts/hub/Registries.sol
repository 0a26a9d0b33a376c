// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IHubRegistry} from "../../interfaces/IHubRegistry.sol";
import {Delegated} from "./Delegated.sol";

/// @title Registries
/// @notice Applications, datasets and worker pools: who owns them, what they cost, and where
/// the grid finds them. Ids start at 1 so that 0 always means "none". A task copies the terms
/// it is requested on: changing an entry never touches a task already requested.
abstract contract Registries is Delegated, IHubRegistry {
    uint256 public constant MAX_URI_LENGTH = 512;

    /// @inheritdoc IHubRegistry
    function registerApp(uint64 price, bytes32 checksum, string calldata uri)
        external
        onlyThroughHub
        returns (uint64 app)
    {
        _checkAsset(checksum, uri);
        app = ++s_appCount;
        s_apps[app] = Asset({owner: msg.sender, price: price, checksum: checksum, uri: uri});
        emit AppRegistered(app, msg.sender, price, checksum, uri);
    }

    /// @inheritdoc IHubRegistry
    function registerDataset(uint64 price, bytes32 checksum, string calldata uri)
        external
        onlyThroughHub
        returns (uint64 dataset)
    {
        _checkAsset(checksum, uri);
        dataset = ++s_datasetCount;
        s_datasets[dataset] = Asset({owner: msg.sender, price: price, checksum: checksum, uri: uri});
        emit DatasetRegistered(dataset, msg.sender, price, checksum, uri);
    }

    /// @inheritdoc IHubRegistry
    function setAppPrice(uint64 app, uint64 price) external onlyThroughHub {
        address owner = s_apps[app].owner;
        if (owner == address(0)) revert UnknownApp(app);
        _checkOwner(owner);
        s_apps[app].price = price;
        emit AppPriceChanged(app, price);
    }

    /// @inheritdoc IHubRegistry
    function setDatasetPrice(uint64 dataset, uint64 price) external onlyThroughHub {
        address owner = s_datasets[dataset].owner;
        if (owner == address(0)) revert UnknownDataset(dataset);
        _checkOwner(owner);
        s_datasets[dataset].price = price;
        emit DatasetPriceChanged(dataset, price);
    }

    /// @inheritdoc IHubRegistry
    function registerPool(Pool calldata config) external onlyThroughHub returns (uint64 pool) {
        Pool memory checked = _checkPool(config, msg.sender);
        pool = ++s_poolCount;
        s_pools[pool] = checked;
        emit PoolRegistered(pool, msg.sender, checked);
    }

    /// @inheritdoc IHubRegistry
    function updatePool(uint64 pool, Pool calldata config) external onlyThroughHub {
        address owner = s_pools[pool].owner;
        if (owner == address(0)) revert UnknownPool(pool);
        _checkOwner(owner);
        Pool memory checked = _checkPool(config, config.owner);
        s_pools[pool] = checked;
        emit PoolUpdated(pool, checked);
    }

    function _checkAsset(bytes32 checksum, string calldata uri) private pure {
        if (checksum == bytes32(0)) revert ZeroChecksum();
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
