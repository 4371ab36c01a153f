"""What the four InfluxDB providers share: configure(), check() and diff() driven by class
attributes; read(), update() and delete() driven by small hooks; the credential each call uses
and keeps; and the adopt-or-create loop.

Providers keep nothing on the instance: Pulumi pickles it into every resource's `__provider`,
which must hold no secret and be the same for every resource of a type. Everything a call needs
comes from its arguments, the module-level settings and the listing cache.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from pulumi import Input, Output, ResourceOptions
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from providers import settings
from providers.client import CONFIGURED_TOKEN, InfluxClient
from providers.errors import AmbiguousWrite, Conflict, NotFound, Unauthorized
from providers.inputs import is_unknown, whole_number
from providers.listing import Listing, Loader, listing

CREATE_ATTEMPTS = 5

log = logging.getLogger(__name__)
Result = TypeVar("Result")


class InfluxProvider(ResourceProvider):
    """A dynamic provider for one kind of InfluxDB object.

    Subclasses name the inputs that force a replacement (`replace_keys`), those updated in place
    (`update_keys`), the `defaults` of optional inputs, and the input holding a token to use
    instead of the configured one (`credential`, None when the resource takes none).

    read(), update() and delete() use the object's API `path` and the hooks `loader()`,
    `patch()` and `outputs()`; `fetch()`, `params()` and `updated()` where a kind differs.
    """

    path: ClassVar[str] = ""
    replace_keys: ClassVar[tuple[str, ...]] = ()
    update_keys: ClassVar[tuple[str, ...]] = ()
    defaults: ClassVar[dict[str, Any]] = {}
    credential: ClassVar[str | None] = "token"

    def configure(self, req: ConfigureRequest) -> None:
        settings.configure(lambda name: req.config.get(f"influxdb:{name}"))

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
        return DiffResult(changes=bool(changed), replaces=replaces,
                          delete_before_replace=bool(replaces) and self.delete_first(olds, news))

    def same(self, _key: str, old: Any, new: Any) -> bool:
        return whole_number(old) == whole_number(new)

    def delete_first(self, _olds: dict[str, Any], _news: dict[str, Any]) -> bool:
        """Whether a replacement must delete the old object before creating the new one."""
        return False

    # Read, update and delete.
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        found = self.with_fallback(props, lambda client: live(
            self.listing(client, props["org_id"]), id_,
            lambda missing: self.fetch(client, missing, props)))
        if found is None:
            return ReadResult("", {})
        return ReadResult(id_, self.state(found, props))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self.client(news)
        found = self.patch(client, id_, olds, news)
        if found is None:  # nothing the server keeps changed
            return UpdateResult({**olds, **news})
        self.listing(client, news["org_id"]).remember(found)
        return UpdateResult(self.updated(found, olds, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.with_fallback(props, lambda client: discard(
            client, f"{self.path}/{id_}", self.listing(client, props["org_id"]), id_,
            self.params(props)))

    def listing(self, client: InfluxClient, org_id: str) -> Listing:
        """The cached listing of this kind of object in the org, as `client` sees it."""
        return listing(self.loader(client), org_id)

    def state(self, found: dict, props: dict[str, Any]) -> dict[str, Any]:
        """The outputs for the object as the server has it, with the resource's own token."""
        return {**self.outputs(found, props), **self.kept_credential(props)}

    # Hooks.
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


def adopt_or_create(
    client: InfluxClient,
    listing: Listing,
    find: Callable[[list[dict]], dict | None],
    adopt: Callable[[dict], dict],
    create: Callable[[], dict],
) -> dict:
    """Adopt the object `find` picks from the listing, else create one.

    A create that failed ambiguously, or lost a race (conflict), lists again and retries, so it
    adopts what the lost answer created instead of creating a duplicate.
    """
    started = time.monotonic()
    for attempt in itertools.count(1):
        existing = find(listing.objects())
        try:
            made = create() if existing is None else adopt(existing)
        except (AmbiguousWrite, Conflict) as failure:
            if attempt >= CREATE_ATTEMPTS or time.monotonic() - started > client.retry.budget:
                raise
            log.warning("%s; looking for it before trying again", failure)
            listing.reload()
            time.sleep(client.retry.backoff(attempt))
            continue
        listing.remember(made)
        return made


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
