"""What the InfluxDB providers share: configure(), check() and diff() driven by class
attributes; read(), update() and delete() driven by small hooks; the credential each call uses
and keeps; and create-exactly-once (`providers/adoption.py`), with the removal of this stack's
duplicates that a create whose answer came too late left behind (the next run removes them).

Providers keep nothing on the instance: Pulumi pickles it into every resource's `__provider`,
which must hold no secret and be the same for every resource of a type. Everything a call needs
comes from its arguments, the module-level settings and the listing cache.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from pulumi import Input, Output, ResourceOptions
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from providers import diagnostics, settings
from providers.adoption import adopt_or_create, pick
from providers.client import CONFIGURED_TOKEN, InfluxClient
from providers.errors import NotFound, Unauthorized, report_in_one_line
from providers.inputs import is_unknown, whole_number
from providers.listing import Listing, Loader, listing
from providers.marks import stack_of

# An output set when a create lost an answer whose object never showed up: it may show up
# later as a duplicate, so the next run updates the resource to remove it.
LOST_ANSWER = "lost_answer"

log = logging.getLogger(__name__)
Result = TypeVar("Result")
report_in_one_line()  # this module is loaded in the provider host before any call


class InfluxProvider(ResourceProvider):
    """A dynamic provider for one kind of InfluxDB object.

    Subclasses name the inputs that force a replacement (`replace_keys`), those updated in place
    (`update_keys`), the `defaults` of optional inputs, and the input holding a token to use
    instead of the configured one (`credential`, None when the resource takes none).

    read(), update() and delete() use the object's API `path` and the hooks `loader()`,
    `patch()` and `outputs()`; `find()`, `fetch()`, `params()` and `updated()` where a kind
    differs.
    `same_identity()` says which existing object a create adopts.
    """

    path: ClassVar[str] = ""
    replace_keys: ClassVar[tuple[str, ...]] = ()
    update_keys: ClassVar[tuple[str, ...]] = ()
    defaults: ClassVar[dict[str, Any]] = {}
    credential: ClassVar[str | None] = "token"

    def configure(self, req: ConfigureRequest) -> None:
        settings.configure(lambda name: req.config.get(f"influxdb:{name}"))
        diagnostics.to_engine()  # configure runs in the provider's own process

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = {**self.defaults,
                  **{key: whole_number(value) for key, value in news.items() if value is not None}}
        return CheckResult(inputs, list(self.failures(inputs)))

    def failures(self, inputs: dict[str, Any]) -> Iterable[CheckFailure]:
        """What is wrong with the (known) inputs."""
        raise NotImplementedError

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare the state's outputs with the new inputs: no API call, credentials ignored."""
        changed = [key for key in (*self.replace_keys, *self.update_keys)
                   if is_unknown(news.get(key)) or not self.same(key, olds.get(key), news.get(key))]
        replaces = [key for key in changed if key in self.replace_keys]
        return DiffResult(changes=bool(changed or olds.get(LOST_ANSWER)), replaces=replaces,
                          delete_before_replace=bool(replaces) and self.delete_first(olds, news))

    def same(self, _key: str, old: Any, new: Any) -> bool:
        return whole_number(old) == whole_number(new)

    def delete_first(self, _olds: dict[str, Any], _news: dict[str, Any]) -> bool:
        """Whether a replacement must delete the old object before creating the new one."""
        return False

    # Read, update and delete.
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        found = self.with_fallback(props, lambda client: self.find(client, id_, props))
        if found is None:
            return ReadResult("", {})
        return ReadResult(id_, self.state(found, props))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self.client(news)
        objects = self.listing(client, news["org_id"])
        if olds.get(LOST_ANSWER):
            self.remove_duplicates(client, objects, id_, news)
        found = self.patch(client, id_, olds, news)
        if found is None:  # nothing the server keeps changed
            outputs = {**olds, **news}
        else:
            objects.remember(found)
            outputs = self.updated(found, olds, news)
        outputs.pop(LOST_ANSWER, None)
        return UpdateResult(outputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        def remove(client: InfluxClient) -> None:
            objects = self.listing(client, props["org_id"])
            if props.get(LOST_ANSWER):
                self.remove_duplicates(client, objects, id_, props)
            discard(client, f"{self.path}/{id_}", objects, id_, self.params(props))
        self.with_fallback(props, remove)

    # Create exactly once.
    def create_once(self, client: InfluxClient, props: dict[str, Any],
                    adopt: Callable[[dict], dict], create: Callable[[], dict]) -> CreateResult:
        """Adopt the object with the same identity, else create it (`providers/adoption.py`);
        then remove this stack's duplicates of it."""
        objects = self.listing(client, props["org_id"])
        stack = stack_of(props.get("description"))
        made = adopt_or_create(
            client, objects,
            lambda found: pick(found, lambda item: self.same_identity(item, props), stack,
                               self.path),
            adopt, create)
        id_ = made.object["id"]
        self.remove_duplicates(client, objects, id_, props)
        outputs = self.state(made.object, props)
        if made.unseen_creates:
            log.warning("%s %s: %d create(s) lost their answer and did not show up; the next run "
                        "removes them if they do", self.path, id_, made.unseen_creates)
            outputs[LOST_ANSWER] = True
        return CreateResult(id_, outputs)

    def remove_duplicates(self, client: InfluxClient, objects: Listing, keep: str,
                          props: dict[str, Any]) -> None:
        """Delete the objects with this identity that this stack's mark claims, but `keep`."""
        stack = stack_of(props.get("description"))
        if stack is None:
            return  # without a mark, another object of this identity may be someone else's
        for item in objects.objects():
            if (item["id"] != keep and self.same_identity(item, props)
                    and stack_of(item.get("description")) == stack):
                log.warning("deleting %s %s, a duplicate this stack made (a create whose answer "
                            "came too late)", self.path, item["id"])
                discard(client, f"{self.path}/{item['id']}", objects, item["id"],
                        self.params(props))

    def listing(self, client: InfluxClient, org_id: str) -> Listing:
        """The cached listing of this kind of object in the org, as `client` sees it."""
        return listing(self.loader(client), org_id)

    def state(self, found: dict, props: dict[str, Any]) -> dict[str, Any]:
        """The outputs for the object as the server has it, with the resource's own token (and
        the lost-answer flag until an update has removed what the lost answer made)."""
        flag = {LOST_ANSWER: True} if props.get(LOST_ANSWER) else {}
        return {**self.outputs(found, props), **self.kept_credential(props), **flag}

    # Hooks.
    def same_identity(self, found: dict, props: dict[str, Any]) -> bool:
        """Whether the server's object is the one these inputs describe (so create adopts it)."""
        raise NotImplementedError

    def loader(self, client: InfluxClient) -> Loader:
        """The client's list_* method for this kind of object."""
        raise NotImplementedError

    def patch(self, client: InfluxClient, id_: str, current: dict[str, Any],
              desired: dict[str, Any]) -> dict | None:
        """PATCH what differs between the current and the desired object; None when nothing
        the server keeps does."""
        raise NotImplementedError

    def outputs(self, found: dict, props: dict[str, Any]) -> dict[str, Any]:
        """The object as the server has it, in the shape of the outputs (no credential)."""
        raise NotImplementedError

    def find(self, client: InfluxClient, id_: str, props: dict[str, Any]) -> dict | None:
        """The object as refresh reads it, None when it is gone: from the listing, else fetched."""
        return live(self.listing(client, props["org_id"]), id_,
                    lambda missing: self.fetch(client, missing, props))

    def params(self, _props: dict[str, Any]) -> dict | None:
        """Query parameters the object's URL needs besides its ID."""
        return None

    def fetch(self, client: InfluxClient, id_: str, props: dict[str, Any]) -> dict:
        """GET one object (one the listing lacks); NotFound when it is gone."""
        return client.get(f"{self.path}/{id_}", self.params(props))

    def updated(self, found: dict, _olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        """The outputs after a PATCH: taken with the new inputs."""
        return self.state(found, news)

    # Credentials.
    def client(self, props: dict[str, Any]) -> InfluxClient:
        return settings.resource_client(props.get(self.credential) if self.credential else None)

    def kept_credential(self, props: dict[str, Any]) -> dict[str, Any]:
        """The resource's own token, kept in its outputs so refresh and destroy can use it."""
        if self.credential and props.get(self.credential):
            return {self.credential: props[self.credential]}
        return {}

    def with_fallback(self, props: dict[str, Any],
                      operation: Callable[[InfluxClient], Result]) -> Result:
        """Run `operation` with the resource's client; if its own token (kept in state, maybe
        since replaced or deleted) is refused, run it again with the configured one."""
        client = self.client(props)
        try:
            return operation(client)
        except Unauthorized as refused:
            if not self.kept_credential(props):
                raise
            log.warning("%s; trying again with %s", refused, CONFIGURED_TOKEN)
        return operation(settings.current().client())


def live(listing: Listing, id_: str, fetch: Callable[[str], dict]) -> dict | None:
    """The object with this ID, from the listing or, when the listing lacks it (created since,
    or hidden from a scoped token), from `fetch`; None when it is gone."""
    found = listing.get(id_)
    if found is not None:
        return found
    try:
        return fetch(id_)
    except NotFound:
        return None


def discard(client: InfluxClient, path: str, listing: Listing, id_: str,
            params: dict | None = None) -> None:
    """DELETE the object; one already gone (404) is what we wanted."""
    with contextlib.suppress(NotFound):
        client.delete(path, params)
    listing.forget(id_)


def secret_token(token: Input[str] | None) -> dict[str, Any]:
    """The `token` input of a resource, as a secret, when it is given one."""
    return {} if token is None else {"token": Output.secret(token)}


def with_secret_outputs(opts: ResourceOptions | None, *keys: str) -> ResourceOptions:
    """The resource's options plus `additional_secret_outputs` for `keys`."""
    return ResourceOptions.merge(opts, ResourceOptions(additional_secret_outputs=list(keys)))
