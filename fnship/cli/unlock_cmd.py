"""`fn unlock`: break a stale deploy lock (a deploy that crashed or was killed without releasing it)."""

from __future__ import annotations

from pathlib import Path

from fnship.cli import console
from fnship.cli.options import Config, Debug, Json, Local, NoColor, Profile, Region, Stage, Yes, load_service


def unlock(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    yes: Yes = False,
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Remove the deploy lock of this service and stage, whoever holds it."""

    def job() -> int:
        from fnship import lock

        loaded = load_service(config=config, stage=stage, region=region, profile=profile, local=local)
        manifest = loaded.manifest
        name = lock.lock_name(manifest.service, manifest.stage)
        holder = lock.parse(loaded.aws.ssm.get_or_none(name))
        if holder is None:
            if json_out:
                console.emit_json("unlock", {"ok": True, "lock": name, "released": None})
            else:
                console.out(f"No deploy lock on {manifest.service} ({manifest.stage}).")
            return 0
        if not console.confirm(f"Break the lock held by {holder.describe()}?", yes=yes):
            console.err("Lock left in place.")
            return 0
        broken = lock.break_lock(loaded.aws, service=manifest.service, stage=manifest.stage)
        if json_out:
            console.emit_json("unlock", {"ok": True, "lock": name, "released": broken.to_dict() if broken else None})
        else:
            console.out(f"Released the deploy lock held by {(broken or holder).describe()}.")
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="unlock", no_color=no_color)
