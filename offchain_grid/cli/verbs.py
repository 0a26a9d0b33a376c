"""XtremWeb's client verbs: sendapp, apps, rm, senddata, datas, submit, works, status, result, workers, adddocker."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..archive import exit_code_of, read_member
from ..unpack import unpack_result
from ..client import ClientError
from .config import client_from, connection_options
from .output import emit, grid_errors, show
from .pinning import pinned_image

FINAL = ("COMPLETED", "ERROR", "ABORTED")


@click.command()
@click.argument("spec", nargs=-1, required=True, metavar="[NAME] DEPLOYABLE ARCH OS <URI|FILE>")
@click.option("--checksum", help="Expected sha256 (verified on upload; required for workers to cache a URI).")
@click.option("--private", is_flag=True, help="Only you (and admins) may use it.")
@click.option("--network", is_flag=True, help="Its jobs need the network (otherwise they run without any).")
@connection_options
@grid_errors
def sendapp(spec, checksum, private, network, server, token, as_json):
    """Register an application that travels to workers.

    \b
    Example:
        xw sendapp ls DEPLOYABLE X86_64 linux /bin/ls
        xw sendapp DEPLOYABLE X86_64 linux ./simulate      (name: simulate)
    """
    if len(spec) == 4:
        kind, arch, os_name, source = spec
        name = Path(source.split("://")[-1]).name
    elif len(spec) == 5:
        name, kind, arch, os_name, source = spec
    else:
        raise click.UsageError("expected [NAME] DEPLOYABLE ARCH OS <URI|FILE>")
    if kind.upper() != "DEPLOYABLE":
        raise click.UsageError(f"app type must be DEPLOYABLE (use `xw adddocker` for Docker images), not {kind!r}")
    if "://" not in source and not Path(source).is_file():
        raise click.ClickException(f"no such file: {source}")
    app = client_from(server, token).send_app(name, arch, os_name, source, checksum,
                                               "private" if private else "public", network)
    show(app, as_json, app["uid"])


@click.command()
@click.argument("name")
@click.argument("image")
@click.option("--image-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The image's `docker save` tarball: pins its id, and travels to workers that lack the image.")
@click.option("--upload", is_flag=True, help="Save IMAGE from the local engine and send it along (as --image-file).")
@click.option("--private", is_flag=True, help="Only you (and admins) may use it.")
@click.option("--network", is_flag=True, help="Its jobs need the network (otherwise they run without any).")
@connection_options
@grid_errors
def adddocker(name, image, image_file, upload, private, network, server, token, as_json):
    """Register a Docker image as an app, pinned by its image id (the app's checksum).

    IMAGE is an id (sha256:...), or a name the local Docker engine resolves to its id. Workers
    with a Docker engine run it; those whose engine lacks it load it from the tarball, if sent.

    \b
    Example:
        xw adddocker hello busybox:1.36 --upload
        xw adddocker hello sha256:5ff5721... --image-file busybox.tar
    """
    with pinned_image(image, image_file, upload) as (image_id, tarball):
        app = client_from(server, token).add_docker(name, image, image_id=image_id, tarball=tarball,
                                                    access="private" if private else "public", network=network)
    show(app, as_json, app["uid"])


@click.command()
@connection_options
@grid_errors
def apps(server, token, as_json):
    """List the apps you may use.

    \b
    Example:
        xw apps --json
    """
    emit(client_from(server, token).get("/apps"), as_json, ["uid", "name", "type", "arch", "os", "owner", "checksum"])


@click.command()
@click.argument("source")
@click.option("--name", help="File name the job sees (default: the file's name).")
@click.option("--checksum", help="Expected sha256, verified by the scheduler and by workers.")
@click.option("--public", is_flag=True, help="Let every user read it.")
@connection_options
@grid_errors
def senddata(source, name, checksum, public, server, token, as_json):
    """Upload a data file (or register a URI) for jobs to read.

    \b
    Example:
        xw senddata ./input.csv
        xw submit wc --data <data uid> -- -l input.csv
    """
    if "://" not in source and not Path(source).is_file():
        raise click.ClickException(f"no such file: {source}")
    data = client_from(server, token).send_data(source, name, checksum, "public" if public else "private")
    show(data, as_json, data["uid"])


@click.command()
@click.option("--checksum", help="Only data with this sha256.")
@connection_options
@grid_errors
def datas(checksum, server, token, as_json):
    """List the data you may read.

    \b
    Example:
        xw datas --checksum 9f86d081...
    """
    params = {"checksum": checksum} if checksum else {}
    emit(client_from(server, token).get("/datas", **params), as_json, ["uid", "name", "size", "owner", "checksum"])


@click.command()
@click.argument("uid")
@connection_options
@grid_errors
def rm(uid, server, token, as_json):
    """Remove an app or data by uid (or app name); for a job, abort it.

    \b
    Example:
        xw rm 3f1c...
    """
    client = client_from(server, token)
    for path, what in (("/apps", "app"), ("/datas", "data")):
        try:
            removed = client.request("DELETE", f"{path}/{uid}").json()
            show(removed, as_json, f"removed {what} {removed['uid']}")
            return
        except ClientError as exc:
            if exc.status != 404:
                raise
    job = client.post(f"/jobs/{uid}/abort")
    show(job, as_json, f"aborted job {job['uid']}")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("app")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("--data", "data", multiple=True, help="Input data uid (repeatable); its file appears in the job dir.")
@click.option("--stdin", "stdin_file", type=click.File("r"), help="File fed to the job's standard input.")
@click.option("--replication", default=1, show_default=True, help="Agreeing results needed.")
@click.option("--max-wall", "max_wall", default=3600, show_default=True, help="Wall-clock limit in seconds.")
@click.option("--max-retries", default=3, show_default=True, help="Extra replicates allowed after failures.")
@click.option("--external-id", help="Idempotency key: submitting it again returns the same job.")
@click.option("--wait", is_flag=True, help="Wait for the job to finish, showing progress.")
@connection_options
@grid_errors
def submit(app, args, data, stdin_file, replication, max_wall, max_retries, external_id, wait, server, token, as_json):
    """Submit a job: APP run with ARGS; prints the job uid.

    \b
    Example:
        xw submit ls -l
        xw submit simulate --replication 3 -- --steps 100
    """
    client = client_from(server, token)
    job = client.submit(app, list(args), data=list(data), stdin=stdin_file.read() if stdin_file else None,
                        replication=replication, max_wall_seconds=max_wall, max_retries=max_retries,
                        external_id=external_id)
    if wait:
        job = _wait(client, job["uid"])
    show(job, as_json, job["uid"] if not wait else f"{job['uid']} {job['status']}")


@click.command()
@click.option("--status", help="Only jobs in this status.")
@connection_options
@grid_errors
def works(status, server, token, as_json):
    """List your jobs.

    \b
    Example:
        xw works --status COMPLETED
    """
    params = {"status": status} if status else {}
    emit(client_from(server, token).get("/jobs", **params), as_json,
         ["uid", "app", "status", "replication", "created_at", "error"])


@click.command()
@click.argument("uid")
@click.option("--wait", is_flag=True, help="Wait until the job is finished, showing progress.")
@connection_options
@grid_errors
def status(uid, wait, server, token, as_json):
    """Show a job's status (and its result digest once completed).

    \b
    Example:
        xw status 3f1c... --wait
    """
    client = client_from(server, token)
    job = _wait(client, uid) if wait else client.job(uid)
    exit_code = exit_code_of(client.result_head(uid)) if job["result"] else None
    if as_json:
        emit({**job, "exit_code": exit_code}, True)
    else:
        ran = f" (exit code {exit_code})" if exit_code is not None else ""
        why = job["error"] or job.get("waiting")
        click.echo(f"{job['uid']} {job['status']}{ran}" + (f": {why}" if why else ""))
        if job["result"]:
            click.echo(f"result digest {job['result']['result_digest']}, signed by {len(job['result']['signatures'])} worker(s)")


@click.command()
@click.argument("uid")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to unpack (default: ./<uid>).")
@click.option("--wait", is_flag=True, help="Wait for the job first, showing progress.")
@connection_options
@grid_errors
def result(uid, directory, wait, server, token, as_json):
    """Download a job's result archive, unpack it, and print its stdout.

    Exits with the app's own exit code, so scripts can test it.

    \b
    Example:
        xw result 3f1c... --dir ./out
    """
    client = client_from(server, token)
    job = _wait(client, uid) if wait else client.job(uid)
    if job["status"] != "COMPLETED":
        raise click.ClickException(f"job {uid} is {job['status']}" + (f": {job['error']}" if job["error"] else ""))
    archive = client.result_archive(uid)
    directory = directory or Path(uid)
    files = unpack_result(archive, directory)
    exit_code = exit_code_of(archive)
    if as_json:
        emit({"uid": uid, "directory": str(directory), "files": files, "result_digest": job["result"]["result_digest"],
              "exit_code": exit_code}, True)
    else:
        click.echo(f"unpacked {len(files)} entries into {directory}", err=True)
        click.echo(f"exit code {'?' if exit_code is None else exit_code}", err=True)
        sys.stdout.write((read_member(archive, "stdout") or b"").decode("utf-8", "replace"))
        sys.stdout.flush()
    if exit_code:
        raise click.exceptions.Exit(_shell_status(exit_code))


def _shell_status(exit_code: int) -> int:
    """An exit code a shell can carry: a signal's death as 128 + its number, as shells do."""
    if 0 < exit_code < 256:
        return exit_code
    return 128 - exit_code if -128 < exit_code < 0 else 1


@click.command()
@connection_options
@grid_errors
def workers(server, token, as_json):
    """List the workers the scheduler knows.

    \b
    Example:
        xw workers --json
    """
    emit(client_from(server, token).get("/workers"), as_json,
         ["uid", "address", "arch", "os", "slots", "status", "blacklisted", "completed", "blacklist_reason"])


def _wait(client, uid: str, poll: float = 0.2, heartbeat: float = 5.0) -> dict:
    """Polls until the job is final; a line at each change of status, and every `heartbeat`
    seconds while it stays the same."""
    started = time.monotonic()
    last, shown_at = None, 0.0
    while True:
        job = client.job(uid)
        elapsed = time.monotonic() - started
        if job["status"] != last or elapsed - shown_at >= heartbeat:
            still = " (still)" if job["status"] == last else ""
            why = f": {job['waiting']}" if job.get("waiting") else ""
            click.echo(f"[{elapsed:6.1f}s] {uid} {job['status']}{still}{why}", err=True)
            last, shown_at = job["status"], elapsed
        if job["status"] in FINAL:
            return job
        time.sleep(poll)


COMMANDS = [sendapp, apps, rm, senddata, datas, submit, works, status, result, workers, adddocker]
