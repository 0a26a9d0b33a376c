"""Why a pending job waits: what the connected workers offer against what its app needs (pure)."""

from offchain_grid.models import App
from offchain_grid.scheduler.servable import Connected, why_unservable

LINUX = Connected(count=2, platforms=frozenset({("x86_64", "linux")}), shared=frozenset({"sh", "docker"}))


def test_a_fitting_worker_means_no_reason():
    assert why_unservable(App(name="a", type="DEPLOYABLE", arch="x86_64", os="linux", owner_id=1), LINUX) is None
    assert why_unservable(App(name="d", type="SHARED", image="x", checksum="ab" * 32, owner_id=1), LINUX) is None
    assert why_unservable(App(name="sh", type="SHARED", owner_id=1), LINUX) is None


def test_each_kind_of_app_says_what_is_missing():
    arm = App(name="arm", type="DEPLOYABLE", arch="aarch64", os="linux", owner_id=1)
    assert why_unservable(arm, LINUX) == ("no connected worker can run it: app 'arm' is for aarch64/linux, "
                                          "connected workers are x86_64/linux")
    no_docker = Connected(count=1, platforms=LINUX.platforms, shared=frozenset({"sh"}))
    docker = App(name="d", type="SHARED", image="x", checksum="ab" * 32, owner_id=1)
    assert why_unservable(docker, no_docker) == ("no connected worker can run it: app 'd' is a Docker app and no "
                                                 "connected worker offers a Docker engine")
    tool = App(name="blast", type="SHARED", owner_id=1)
    assert why_unservable(tool, LINUX) == ("no connected worker can run it: app 'blast' is a shared app that no "
                                           "connected worker provides")
    assert why_unservable(tool, Connected()) == "no worker is connected"
