"""Whether a connected worker could run a job's app: a job that none can serve says why it waits
(e.g. a Docker app while no Docker worker is connected) instead of staying silently PENDING."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from ..models import App, Worker


@dataclass(frozen=True)
class Connected:
    """What the connected (alive, not blacklisted) workers offer, together."""

    count: int = 0
    platforms: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (arch, os)
    shared: frozenset[str] = field(default_factory=frozenset)  # declared shared apps, "docker" for an engine


def connected(session: Session) -> Connected:
    rows = session.exec(select(Worker.arch, Worker.os, Worker.shared_apps)
                        .where(Worker.status == "ALIVE", Worker.blacklisted.is_(False))).all()
    return Connected(len(rows), frozenset((arch, os_name) for arch, os_name, _ in rows),
                     frozenset(name for _, _, shared in rows for name in shared or ()))


def why_unservable(app: App | None, offer: Connected) -> str | None:
    """None if some connected worker can run `app`, else why not, in one line."""
    if app is None:
        return None
    if offer.count == 0:
        return "no worker is connected"
    prefix = "no connected worker can run it"
    if app.type == "DEPLOYABLE":
        if (app.arch, app.os) in offer.platforms:
            return None
        have = ", ".join(sorted(f"{arch}/{os_name}" for arch, os_name in offer.platforms))
        return f"{prefix}: app {app.name!r} is for {app.arch}/{app.os}, connected workers are {have}"
    if app.image:
        return None if "docker" in offer.shared else \
            f"{prefix}: app {app.name!r} is a Docker app and no connected worker offers a Docker engine"
    return None if app.name in offer.shared else \
        f"{prefix}: app {app.name!r} is a shared app that no connected worker provides"
