"""Sample program for the engine stand-in's tests: one file per configured name, plus an index.

The index lists the files' paths (so it depends on them) and carries the secret `sample:token`.
The program reads its own previous outputs through a StackReference to its own stack.
"""

import pulumi
from filestore import File

config = pulumi.Config()
suffix = config.get("suffix") or ""
kind = config.require("kind")
retained = set(config.require_object("retain"))
files = [File(name, {"name": f"{name}{suffix}.txt", "content": config.require("content"),
                     "kind": kind},
              opts=pulumi.ResourceOptions(retain_on_delete=name in retained))
         for name in config.require_object("files")]
index = File("index", {
    "name": f"index{suffix}.txt",
    "content": pulumi.Output.all(*[file.path for file in files]).apply("\n".join),
    "token": pulumi.Config("sample").require_secret("token"),
})

if config.require_bool("fail"):
    def fail(path: str) -> str:
        raise RuntimeError(f"asked to fail after {path}")

    index.path.apply(fail)  # after every file is made

own_stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
pulumi.export("previous_files", pulumi.StackReference(own_stack).get_output("files"))
pulumi.export("files", config.require_object("files"))
pulumi.export("index_path", index.path)
pulumi.export("token", index.token)
pulumi.export("dry_run", pulumi.runtime.is_dry_run())
pulumi.log.info(f"declared {len(files)} files")
