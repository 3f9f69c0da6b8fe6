#!/usr/bin/env python3
"""Contract test: one cluster's whole life, driven by Scaleway's official Python SDK.

The SDK is used unchanged (pinned in requirements.txt): if Wheelhouse answers in a shape
the SDK does not decode, or refuses a body the SDK builds from its own defaults, this
script fails, exactly as a real user's script would.

Environment:
  WHEELHOUSE_URL          e.g. http://127.0.0.1:3107 (no trailing path)
  SCW_ACCESS_KEY          an API key Wheelhouse issued (SCW + 17 characters)
  SCW_SECRET_KEY          its secret (a UUID), sent as X-Auth-Token
  SCW_DEFAULT_PROJECT_ID  the key's project
  SCW_DEFAULT_REGION      optional, default fr-par
  SCW_DEFAULT_ZONE        optional, default <region>-1
  WHEELHOUSE_WAIT_TIMEOUT optional, seconds per wait, default 60 (the sandbox is fast)

Run:
  python3 -m venv .venv && .venv/bin/pip install -r end2end/python/requirements.txt
  WHEELHOUSE_URL=... SCW_ACCESS_KEY=... SCW_SECRET_KEY=... SCW_DEFAULT_PROJECT_ID=... \
    .venv/bin/python end2end/python/sdk_lifecycle.py

Prints one line per step; exits 1 on the first failed assertion or unexpected error
(after a best-effort delete of the cluster it created).
"""

import base64
import os
import sys
import time
import traceback
import uuid
from datetime import datetime, timezone

from scaleway import Client
from scaleway.k8s.v1 import (
    CNI,
    ACLRuleRequest,
    ClusterStatus,
    CoreV1Taint,
    CoreV1TaintEffect,
    CreateClusterRequestPoolConfig,
    K8SV1API,
    NodeStatus,
    PoolStatus,
    PoolVolumeType,
    Runtime,
)
from scaleway_core.api import ScalewayException
from scaleway_core.utils import WaitForOptions

WAIT_TIMEOUT = float(os.environ.get("WHEELHOUSE_WAIT_TIMEOUT", "60"))
NODE_TYPE = "PRO2-XS"
STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def fast_wait() -> WaitForOptions:
    # A fresh object per call: the SDK's wait_for_* store their default stop condition
    # into the options they receive, so a shared instance would make wait_for_pool reuse
    # the cluster's condition. min_delay cannot go below 1 s (the SDK refuses it).
    return WaitForOptions(timeout=WAIT_TIMEOUT, min_delay=1, max_delay=2)


def poll(description: str, probe, timeout: float = WAIT_TIMEOUT):
    """Calls probe() every second until it returns something truthy; returns that value.

    Used where the SDK has no wait helper for the outcome (a node replaced or deleted,
    pools catching up with a cluster upgrade)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {description}")


def error_body(error: ScalewayException) -> dict:
    # The Python SDK has no typed errors (unlike the Go/JS SDKs): every HTTP error is a
    # ScalewayException carrying the raw response, so the contract is the JSON body.
    try:
        body = error.response.json()
    except ValueError:
        raise AssertionError(
            f"HTTP {error.status_code} error body is not JSON: {error.response.text!r}"
        )
    assert isinstance(body, dict), f"error body is not an object: {body!r}"
    return body


def expect_error(call, status: int, error_type: str) -> dict:
    try:
        result = call()
    except ScalewayException as error:
        body = error_body(error)
        assert error.status_code == status, (
            f"expected HTTP {status}, got {error.status_code}: {body}"
        )
        assert body.get("type") == error_type, (
            f"expected error type {error_type!r}, got {body}"
        )
        assert isinstance(body.get("message"), str) and body["message"], (
            f"error without a message: {body}"
        )
        return body
    raise AssertionError(f"expected HTTP {status} {error_type}, got a result: {result!r}")


def version_key(name: str) -> tuple:
    return tuple(int(part) for part in name.split("."))


def in_future(moment) -> bool:
    if moment is None:
        return True
    if moment.tzinfo is None:  # RFC 3339 requires an offset; tolerate its absence here
        moment = moment.replace(tzinfo=timezone.utc)
    return moment > datetime.now(timezone.utc)


def choose_version(versions) -> tuple:
    """The newest version new clusters may use that still has a next minor to upgrade to.

    The catalog is operator-edited, so nothing is hard-coded: "supported" means neither
    deprecated nor end-of-life yet, for both the version and its upgrade target."""
    usable = [v for v in versions if in_future(v.deprecated_at) and in_future(v.end_of_life_at)]
    minors = {version_key(v.name)[:2] for v in usable}
    candidates = [
        v for v in usable
        if (version_key(v.name)[0], version_key(v.name)[1] + 1) in minors
    ]
    assert candidates, (
        "the catalog has no supported version with a supported next minor: "
        f"{[v.name for v in versions]}"
    )
    chosen = max(candidates, key=lambda v: version_key(v.name))
    cnis = [str(c) for c in chosen.available_cnis]
    cni = CNI.CILIUM if "cilium" in cnis else next(c for c in cnis if c != "none")
    return chosen, cni


def taint_set(taints) -> set:
    return {(t.key, t.value, str(t.effect)) for t in taints}


def pool_nodes(api: K8SV1API, cluster_id: str, pool_id: str):
    return api.list_nodes(cluster_id=cluster_id, pool_id=pool_id).nodes


def wait_pool_settled(api: K8SV1API, cluster_id: str, pool_id: str, size: int,
                      version: str | None = None):
    """The pool is ready, has `size` nodes and every node is ready (on `version` if given).

    wait_for_pool alone is not enough: the pool can report ready while the reconciler is
    still booting or draining nodes."""
    def settled():
        pool = api.get_pool(pool_id=pool_id)
        nodes = pool_nodes(api, cluster_id, pool_id)
        ok = (
            pool.status == PoolStatus.READY
            and pool.size == size
            and len(nodes) == size
            and all(n.status == NodeStatus.READY for n in nodes)
            and (version is None or pool.version == version)
        )
        return (pool, nodes) if ok else None

    return poll(f"pool {pool_id} ready with {size} ready node(s)", settled)


def run(api: K8SV1API, region: str, zone: str, project_id: str, created: list) -> None:
    # ---- catalog --------------------------------------------------------------------------
    versions = api.list_versions().versions
    assert versions, "list_versions returned no version"
    for v in versions:
        assert v.name and v.label, f"version without name/label: {v}"
        assert v.region == region, f"version {v.name} has region {v.region!r}, not {region!r}"
        assert v.available_cnis, f"version {v.name} lists no CNI"
        assert v.released_at is not None, f"version {v.name} has no released_at"
    version, cni = choose_version(versions)
    log(f"list_versions: {len(versions)} versions; creating on {version.name} with {cni}")

    fetched = api.get_version(version_name=version.name)
    assert fetched.name == version.name, f"get_version returned {fetched.name}"
    log(f"get_version {version.name}")

    # ---- a bad input is refused with the documented error shape ----------------------------
    def create_on_unknown_version():
        accepted = api.create_cluster(
            type_="kapsule", description="", version="1.99.0", cni=cni,
            name=f"sdk-invalid-{uuid.uuid4().hex[:6]}",
        )
        created.append(accepted.id)  # so the cleanup removes it
        return accepted

    body = expect_error(create_on_unknown_version, 400, "invalid_arguments")
    details = body.get("details")
    assert isinstance(details, list) and details, f"invalid_arguments without details: {body}"
    assert any(d.get("argument_name") == "version" for d in details), (
        f"the refusal does not name the version argument: {body}"
    )
    log("create_cluster with version 1.99.0 -> 400 invalid_arguments naming `version`")

    # ---- create with the SDK's own pool defaults -------------------------------------------
    # CreateClusterRequestPoolConfig has no defaults for most fields; these are the zero
    # values the SDK itself uses in CreatePoolRequest (unknown_runtime, default volume type,
    # empty maps and lists), and zone=None lets the SDK fill in the client's default zone.
    # min_size/max_size/root_volume_size keep their dataclass default 0 and are sent as 0.
    default_pool = CreateClusterRequestPoolConfig(
        name="default",
        node_type=NODE_TYPE,
        autoscaling=False,
        size=2,
        container_runtime=Runtime.UNKNOWN_RUNTIME,
        autohealing=False,
        tags=[],
        kubelet_args={},
        zone=None,
        root_volume_type=PoolVolumeType.DEFAULT_VOLUME_TYPE,
        public_ip_disabled=False,
        labels={},
        taints=[],
        startup_taints=[],
        user_data={},
    )
    name = f"sdk-lifecycle-{uuid.uuid4().hex[:8]}"
    cluster = api.create_cluster(
        type_="kapsule",
        description="created by end2end/python/sdk_lifecycle.py",
        version=version.name,
        cni=cni,
        name=name,
        pools=[default_pool],
    )
    created.append(cluster.id)
    assert cluster.id, "created cluster has no id"
    assert cluster.name == name, f"name {cluster.name!r} != {name!r}"
    assert cluster.version == version.name, f"version {cluster.version} != {version.name}"
    assert cluster.cni == cni, f"cni {cluster.cni} != {cni}"
    assert cluster.region == region, f"region {cluster.region} != {region}"
    assert cluster.project_id == project_id, f"project {cluster.project_id} != {project_id}"
    assert cluster.type_ == "kapsule", f"type {cluster.type_}"
    assert isinstance(cluster.created_at, datetime), f"created_at not RFC 3339: {cluster.created_at!r}"
    assert cluster.status in (ClusterStatus.CREATING, ClusterStatus.READY), (
        f"a new cluster is {cluster.status}"
    )
    log(f"create_cluster {cluster.id} ({cluster.status})")

    cluster = api.wait_for_cluster(cluster_id=cluster.id, options=fast_wait())
    assert cluster.status == ClusterStatus.READY, f"cluster settled as {cluster.status}"
    assert cluster.cluster_url and cluster.cluster_url.startswith("http"), (
        f"cluster_url {cluster.cluster_url!r}"
    )
    log(f"wait_for_cluster -> ready, {cluster.cluster_url}")

    found = api.list_clusters(name=name).clusters
    assert [c.id for c in found] == [cluster.id], f"list_clusters(name=) found {found}"
    # list_*_all pages until an empty page: it terminates only if `page` is honoured.
    assert cluster.id in [c.id for c in api.list_clusters_all()], "list_clusters_all misses it"
    log("list_clusters by name and list_clusters_all find it")

    pools = api.list_pools(cluster_id=cluster.id).pools
    assert len(pools) == 1, f"expected the one default pool, got {[p.name for p in pools]}"
    default = pools[0]
    assert default.name == "default", f"pool name {default.name}"
    assert default.node_type.lower().replace("-", "_") == "pro2_xs", f"node_type {default.node_type}"
    assert default.size == 2, f"size {default.size}"
    assert default.version == version.name, f"pool version {default.version}"
    assert default.zone == zone, f"zone {default.zone} != {zone}"
    # unknown_runtime is the SDK's "let the API choose"; the API must resolve it.
    assert default.container_runtime == Runtime.CONTAINERD, (
        f"container_runtime {default.container_runtime}"
    )
    api.wait_for_pool(pool_id=default.id, options=fast_wait())
    wait_pool_settled(api, cluster.id, default.id, 2)
    log(f"default pool {default.id}: 2 ready {default.node_type} nodes")

    # ---- a second pool with the create_pool method's defaults ------------------------------
    extra = api.create_pool(
        cluster_id=cluster.id,
        node_type=NODE_TYPE,
        autoscaling=False,
        size=1,
        autohealing=False,
        public_ip_disabled=False,
    )
    # Without a name the SDK invents one such as "pool-cool-ramanujan": it must be accepted.
    assert extra.name.startswith("pool-"), f"pool name {extra.name}"
    assert extra.cluster_id == cluster.id, f"pool cluster_id {extra.cluster_id}"
    assert extra.size == 1, f"size {extra.size}"
    assert extra.version == version.name, f"new pool version {extra.version}"
    api.wait_for_pool(pool_id=extra.id, options=fast_wait())
    wait_pool_settled(api, cluster.id, extra.id, 1)
    log(f"create_pool {extra.name} ({extra.id}) -> 1 ready node")

    # ---- scale -----------------------------------------------------------------------------
    scaled = api.update_pool(pool_id=extra.id, size=3)
    assert scaled.size == 3, f"update_pool returned size {scaled.size}"
    api.wait_for_pool(pool_id=extra.id, options=fast_wait())
    wait_pool_settled(api, cluster.id, extra.id, 3)
    log("update_pool size 1 -> 3, 3 ready nodes")

    # ---- upgrade to the next minor, pools included -----------------------------------------
    available = api.list_cluster_available_versions(cluster_id=cluster.id).versions
    current = version_key(cluster.version)
    next_minor = [v for v in available if version_key(v.name)[:2] == (current[0], current[1] + 1)]
    assert next_minor, (
        f"no {current[0]}.{current[1] + 1}.x among available versions {[v.name for v in available]}"
    )
    for v in available:
        assert version_key(v.name) > current, f"{v.name} offered as an upgrade from {cluster.version}"
    target = max(next_minor, key=lambda v: version_key(v.name)).name
    upgrading = api.upgrade_cluster(cluster_id=cluster.id, version=target, upgrade_pools=True)
    assert upgrading.id == cluster.id
    cluster = api.wait_for_cluster(cluster_id=cluster.id, options=fast_wait())
    assert cluster.status == ClusterStatus.READY, f"cluster settled as {cluster.status}"
    assert cluster.version == target, f"cluster version {cluster.version} != {target}"
    # upgrade_pools=True: every pool follows the control plane, node by node.
    wait_pool_settled(api, cluster.id, default.id, 2, version=target)
    wait_pool_settled(api, cluster.id, extra.id, 3, version=target)
    log(f"upgrade_cluster {version.name} -> {target} with its pools")

    # ---- node actions ------------------------------------------------------------------------
    nodes = sorted(pool_nodes(api, cluster.id, extra.id), key=lambda n: n.name)
    assert len(nodes) == 3, f"expected 3 nodes, got {len(nodes)}"
    for n in nodes:
        assert n.pool_id == extra.id and n.cluster_id == cluster.id, f"node {n.id} misfiled"
        assert n.region == region, f"node region {n.region}"
    rebooted, replaced, deleted = nodes

    node = api.reboot_node(node_id=rebooted.id)
    assert node.id == rebooted.id
    # The SDK's wait_for_node stops on the first non-transient status, so the reboot must
    # be visible in the response itself, or the wait below would return before it starts.
    assert node.status == NodeStatus.REBOOTING, f"reboot_node returned status {node.status}"
    node = api.wait_for_node(node_id=rebooted.id, options=fast_wait())
    assert node.status == NodeStatus.READY, f"node settled as {node.status} after reboot"
    wait_pool_settled(api, cluster.id, extra.id, 3)
    log(f"reboot_node {rebooted.name}: rebooting -> ready")

    node = api.replace_node(node_id=replaced.id)
    assert node.id == replaced.id
    # Replacing keeps the pool's size: a new node takes the old one's place. The old node
    # has to be gone first, or the pool would look settled before the work even started.
    poll(f"replaced node {replaced.id} to disappear",
         lambda: replaced.id not in [n.id for n in pool_nodes(api, cluster.id, extra.id)])
    wait_pool_settled(api, cluster.id, extra.id, 3)
    log(f"replace_node {replaced.name}: a new node took its place, pool still 3")

    # SDK 2.12.0's delete_node only has skip_drain (no `replace` flag): the pool shrinks.
    node = api.delete_node(node_id=deleted.id, skip_drain=True)
    assert node.id == deleted.id
    poll(f"deleted node {deleted.id} to disappear",
         lambda: deleted.id not in [n.id for n in pool_nodes(api, cluster.id, extra.id)])
    wait_pool_settled(api, cluster.id, extra.id, 2)
    expect_error(lambda: api.get_node(node_id=deleted.id), 404, "not_found")
    log(f"delete_node {deleted.name} skip_drain=True: pool 3 -> 2, node is 404")

    # ---- taints, startup taints, labels ----------------------------------------------------
    taints = [CoreV1Taint(key="sdk.example.com/dedicated", value="contract",
                          effect=CoreV1TaintEffect.NO_SCHEDULE)]
    startup = [CoreV1Taint(key="node.cilium.io/agent-not-ready", value="true",
                           effect=CoreV1TaintEffect.NO_EXECUTE)]
    labels = {"sdk.example.com/team": "contract", "tier": "batch"}

    pool = api.set_pool_taints(pool_id=extra.id, taints=taints)
    assert taint_set(pool.taints) == taint_set(taints), f"set_pool_taints returned {pool.taints}"
    pool = api.set_pool_startup_taints(pool_id=extra.id, startup_taints=startup)
    assert taint_set(pool.startup_taints) == taint_set(startup), (
        f"set_pool_startup_taints returned {pool.startup_taints}"
    )
    pool = api.set_pool_labels(pool_id=extra.id, labels=labels)
    assert pool.labels == labels, f"set_pool_labels returned {pool.labels}"
    api.wait_for_pool(pool_id=extra.id, options=fast_wait())

    pool = api.get_pool(pool_id=extra.id)
    assert taint_set(pool.taints) == taint_set(taints), f"get_pool taints {pool.taints}"
    assert taint_set(pool.startup_taints) == taint_set(startup), (
        f"get_pool startup_taints {pool.startup_taints}"
    )
    assert pool.labels == labels, f"get_pool labels {pool.labels}"
    # Setting one kind must not touch the others.
    other = api.get_pool(pool_id=default.id)
    assert not other.taints and not other.startup_taints and not other.labels, (
        f"the default pool was changed too: {other.taints} {other.startup_taints} {other.labels}"
    )
    log("set_pool_taints / set_pool_startup_taints / set_pool_labels, read back by get_pool")

    # Called without taints the SDK sends `{}` (it drops None fields): an absent list means
    # an empty one, so this clears the taints and leaves startup taints and labels alone.
    pool = api.set_pool_taints(pool_id=extra.id)
    assert pool.taints == [], f"set_pool_taints with no taints left {pool.taints}"
    pool = api.get_pool(pool_id=extra.id)
    assert pool.taints == [], f"get_pool taints after clearing: {pool.taints}"
    assert taint_set(pool.startup_taints) == taint_set(startup), "clearing taints touched startup taints"
    assert pool.labels == labels, "clearing taints touched labels"
    api.wait_for_pool(pool_id=extra.id, options=fast_wait())
    log("set_pool_taints without taints (body {}) clears them")

    # ---- kubeconfig --------------------------------------------------------------------------
    # 2.12.0 exposes the kubeconfig only through this private method (returns a ScwFile,
    # whose name, content_type and content keys are all required).
    file = api._get_cluster_kube_config(cluster_id=cluster.id)
    assert file.name and file.content_type, f"kubeconfig file object {file}"
    kubeconfig = base64.b64decode(file.content).decode()
    assert "kind: Config" in kubeconfig, f"not a kubeconfig: {kubeconfig[:200]!r}"
    assert cluster.cluster_url in kubeconfig, "the kubeconfig does not point at cluster_url"
    api.reset_cluster_admin_token(cluster_id=cluster.id)
    rotated = base64.b64decode(api._get_cluster_kube_config(cluster_id=cluster.id).content).decode()
    assert rotated != kubeconfig, "reset_cluster_admin_token did not change the kubeconfig's token"
    log(f"kubeconfig ({file.name}, {len(kubeconfig)} bytes); reset_cluster_admin_token rotates it")

    # ---- ACLs ------------------------------------------------------------------------------
    before = api.list_cluster_acl_rules(cluster_id=cluster.id).rules
    added = api.add_cluster_acl_rules(cluster_id=cluster.id, acls=[
        ACLRuleRequest(description="office", ip="203.0.113.0/24"),
        # ip=None and scaleway_ranges=True: the SDK sends only {"scaleway_ranges": true}.
        ACLRuleRequest(description="scaleway services", scaleway_ranges=True),
    ]).rules
    assert len(added) == 2, f"add_cluster_acl_rules returned {added}"
    assert all(r.id for r in added), f"added rules without ids: {added}"
    assert {r.ip for r in added if not r.scaleway_ranges} == {"203.0.113.0/24"}, f"{added}"
    assert sum(1 for r in added if r.scaleway_ranges) == 1, f"{added}"
    api.wait_for_cluster(cluster_id=cluster.id, options=fast_wait())
    listed = api.list_cluster_acl_rules(cluster_id=cluster.id)
    assert listed.total_count == len(before) + 2, (
        f"total_count {listed.total_count!r} after adding 2 to {len(before)}"
    )
    assert {r.id for r in added} <= {r.id for r in listed.rules}, "added rules are not listed"
    log(f"add_cluster_acl_rules: {len(before)} -> {listed.total_count} rules")

    replaced_rules = api.set_cluster_acl_rules(cluster_id=cluster.id, acls=[
        ACLRuleRequest(description="office", ip="198.51.100.0/24"),
        ACLRuleRequest(description="vpn", ip="192.0.2.10/32"),
    ]).rules
    assert sorted(r.ip for r in replaced_rules) == ["192.0.2.10/32", "198.51.100.0/24"], (
        f"set_cluster_acl_rules returned {replaced_rules}"
    )
    api.wait_for_cluster(cluster_id=cluster.id, options=fast_wait())
    listed = api.list_cluster_acl_rules(cluster_id=cluster.id).rules
    assert sorted(r.ip for r in listed) == ["192.0.2.10/32", "198.51.100.0/24"], (
        f"set_cluster_acl_rules did not replace the list: {listed}"
    )
    log("set_cluster_acl_rules replaces the whole list")

    vpn = next(r for r in listed if r.ip == "192.0.2.10/32")
    assert api.delete_acl_rule(acl_id=vpn.id) is None
    api.wait_for_cluster(cluster_id=cluster.id, options=fast_wait())
    listed = api.list_cluster_acl_rules(cluster_id=cluster.id).rules
    assert [r.ip for r in listed] == ["198.51.100.0/24"], f"after delete_acl_rule: {listed}"
    log("delete_acl_rule removes one rule")

    # ---- cluster types -----------------------------------------------------------------------
    types = api.list_cluster_types()
    assert isinstance(types.total_count, int), f"total_count {types.total_count!r} is not a number"
    assert types.total_count == len(types.cluster_types), (
        f"total_count {types.total_count} != {len(types.cluster_types)} items on one page"
    )
    for t in types.cluster_types:
        assert t.name, f"cluster type without name: {t}"
        assert t.region == region, f"cluster type {t.name} has region {t.region!r}, not {region!r}"
        assert t.max_nodes > 0, f"cluster type {t.name} has max_nodes {t.max_nodes}"
    assert "kapsule" in [t.name for t in types.cluster_types], "no kapsule type"
    log(f"list_cluster_types: {types.total_count} types, each with region {region}")

    # ---- delete ----------------------------------------------------------------------------
    deleting = api.delete_cluster(cluster_id=cluster.id, with_additional_resources=False)
    assert deleting.id == cluster.id
    assert deleting.status == ClusterStatus.DELETING, f"delete_cluster returned {deleting.status}"
    # The SDK's own tests wait for a deletion this way: wait_for_cluster polls while the
    # status is `deleting`, then get_cluster's 404 surfaces as a ScalewayException.
    try:
        leftover = api.wait_for_cluster(cluster_id=cluster.id, options=fast_wait())
        raise AssertionError(f"the deleted cluster settled as {leftover.status} instead of 404")
    except ScalewayException as error:
        body = error_body(error)
        assert error.status_code == 404 and body.get("type") == "not_found", (
            f"expected 404 not_found, got {error.status_code} {body}"
        )
        assert body.get("resource_id") == cluster.id, f"not_found names {body}"
    created.remove(cluster.id)
    expect_error(lambda: api.get_pool(pool_id=extra.id), 404, "not_found")
    log("delete_cluster with_additional_resources=False -> 404 not_found")


def main() -> int:
    url = os.environ["WHEELHOUSE_URL"].rstrip("/")
    region = os.environ.get("SCW_DEFAULT_REGION", "fr-par")
    zone = os.environ.get("SCW_DEFAULT_ZONE", f"{region}-1")
    project_id = os.environ["SCW_DEFAULT_PROJECT_ID"]
    client = Client(
        access_key=os.environ["SCW_ACCESS_KEY"],
        secret_key=os.environ["SCW_SECRET_KEY"],
        api_url=url,
        default_project_id=project_id,
        default_region=region,
        default_zone=zone,
    )
    # Validation stays on: the SDK checks the key formats, so Wheelhouse's keys must match
    # Scaleway's (SCW + 17 characters, UUID secret).
    api = K8SV1API(client)
    log(f"target {url}, region {region}, zone {zone}, project {project_id}")

    created: list = []
    try:
        run(api, region, zone, project_id, created)
    except Exception:
        traceback.print_exc()
        for cluster_id in created:  # best effort, so reruns do not pile clusters up
            try:
                api.delete_cluster(cluster_id=cluster_id, with_additional_resources=False)
                log(f"cleanup: deleting {cluster_id}")
            except Exception as error:  # noqa: BLE001 - cleanup must not hide the failure
                log(f"cleanup of {cluster_id} failed: {error}")
        log("FAIL")
        return 1
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
