// Contract tests: the official Scaleway SDK (@scaleway/sdk-k8s, unmodified) drives Wheelhouse
// through a cluster's life, and its typed errors decode Wheelhouse's error bodies.
import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { createClient, Errors as errors } from "@scaleway/sdk-client";
import { K8Sv1 } from "@scaleway/sdk-k8s";

type Key = { access_key: string; secret_key: string; project_id: string };

/** A new API key, made with the CLI in the database of the server this project tests. */
function apiKey(project: string): Key {
  const databaseUrl = test.info().project.metadata.databaseUrl as string;
  const output = execFileSync(
    process.env.WHEELHOUSE_BIN!,
    ["api-key", "create", "--project", project, "--database-url", databaseUrl],
    { encoding: "utf8" },
  );
  return JSON.parse(output) as Key;
}

function sdk(key: Key, baseURL: string) {
  const client = createClient({
    accessKey: key.access_key,
    secretKey: key.secret_key,
    defaultProjectId: key.project_id,
    defaultRegion: "fr-par",
    defaultZone: "fr-par-1",
    apiURL: baseURL,
  });
  return new K8Sv1.API(client);
}

// The SDK waits at least one second between polls.
const wait = { timeout: 60, minDelay: 1, maxDelay: 1 };

test("the official SDK creates, scales, upgrades, replaces, reboots and deletes", async ({ baseURL }) => {
  test.setTimeout(120_000);
  const key = apiKey("sdk-journey");
  expect(key.access_key).toMatch(/^SCW[A-Z0-9]{17}$/);
  const api = sdk(key, baseURL!);

  const versions = await api.listVersions({});
  expect(versions.versions.map((v) => v.name)).toContain("1.35.1");
  expect(versions.versions[0].releasedAt).toBeInstanceOf(Date);

  const created = await api.createCluster({
    name: "sdk-prod",
    version: "1.34.2",
    cni: "cilium",
    type: "kapsule",
    description: "created by the official SDK",
    tags: ["contract"],
    pools: [{ name: "default", nodeType: "PRO2-XS", size: 2, autoscaling: false, autohealing: true,
      containerRuntime: "containerd", upgradePolicy: { maxSurge: 1, maxUnavailable: 0 } } as any],
  } as any);
  expect(created.status).toBe("creating");
  expect(created.projectId).toBe(key.project_id);
  expect(created.createdAt).toBeInstanceOf(Date);

  const ready = await api.waitForCluster({ clusterId: created.id }, wait);
  expect(ready.status).toBe("ready");
  const [pool] = (await api.listPools({ clusterId: created.id })).pools;
  expect((await api.waitForPool({ poolId: pool.id }, wait)).status).toBe("ready");

  // Scale.
  const scaling = await api.updatePool({ poolId: pool.id, size: 3 });
  expect(scaling.status).toBe("scaling");
  expect((await api.waitForPool({ poolId: pool.id }, wait)).size).toBe(3);
  const nodes = (await api.listNodes({ clusterId: created.id })).nodes;
  expect(nodes).toHaveLength(3);
  expect(nodes.every((n) => n.status === "ready")).toBe(true);

  // Upgrade the control plane and the pools.
  const available = await api.listClusterAvailableVersions({ clusterId: created.id });
  expect(available.versions.map((v) => v.name)).toContain("1.35.1");
  const upgrading = await api.upgradeCluster({ clusterId: created.id, version: "1.35.1", upgradePools: true });
  expect(upgrading.status).toBe("updating");
  expect((await api.waitForCluster({ clusterId: created.id }, wait)).version).toBe("1.35.1");
  expect((await api.waitForPool({ poolId: pool.id }, wait)).version).toBe("1.35.1");

  // Replace and reboot a node.
  const [first] = (await api.listNodes({ clusterId: created.id })).nodes;
  await api.replaceNode({ nodeId: first.id });
  await expect.poll(async () => {
    const current = (await api.listNodes({ clusterId: created.id })).nodes;
    return current.some((n) => n.id === first.id) ? "old node still there" : current.length;
  }, { timeout: 30_000 }).toBe(3);
  const [second] = (await api.listNodes({ clusterId: created.id })).nodes;
  expect((await api.rebootNode({ nodeId: second.id })).status).toBe("rebooting");
  expect((await api.waitForNode({ nodeId: second.id }, wait)).status).toBe("ready");

  // Kubeconfig as the SDK downloads it.
  const kubeconfig = await api.getClusterKubeConfig({ clusterId: created.id });
  const text = await kubeconfig.text();
  expect(text).toContain("kind: Config");

  // Delete.
  const deleting = await api.deleteCluster({ clusterId: created.id, withAdditionalResources: true });
  expect(deleting.status).toBe("deleting");
  await expect.poll(async () => {
    try {
      await api.getCluster({ clusterId: created.id });
      return "still there";
    } catch (error) {
      return error instanceof errors.ResourceNotFoundError ? "gone" : String(error);
    }
  }, { timeout: 30_000 }).toBe("gone");
});

test("the SDK's typed errors decode Wheelhouse's refusals", async ({ baseURL }) => {
  const api = sdk(apiKey("sdk-errors"), baseURL!);
  await expect(api.getCluster({ clusterId: "00000000-0000-4000-8000-000000000000" })).rejects.toBeInstanceOf(
    errors.ResourceNotFoundError,
  );
  const invalid = api.createCluster({ name: "bad", version: "9.9.9", cni: "cilium", type: "kapsule", pools: [] } as any);
  await expect(invalid).rejects.toBeInstanceOf(errors.InvalidArgumentsError);

  const cluster = await api.createCluster({ name: "sdk-errors", version: "1.35.1", cni: "cilium", type: "kapsule", pools: [] } as any);
  const upgradeWhileCreating = api.upgradeCluster({ clusterId: cluster.id, version: "1.36.0", upgradePools: false });
  await expect(upgradeWhileCreating).rejects.toBeInstanceOf(errors.TransientStateError);
  const settled = await api.waitForCluster({ clusterId: cluster.id }, wait);
  expect(settled.status).toBe("pool_required");
  await expect(api.upgradeCluster({ clusterId: cluster.id, version: "1.34.5", upgradePools: false })).rejects.toBeInstanceOf(
    errors.InvalidArgumentsError,
  );

  const stranger = createClient({
    accessKey: "SCWAAAAAAAAAAAAAAAAA",
    secretKey: "11111111-2222-4333-8444-555555555555",
    defaultRegion: "fr-par",
    apiURL: baseURL!,
  });
  await expect(new K8Sv1.API(stranger).listClusters({})).rejects.toBeInstanceOf(errors.DeniedAuthenticationError);
});
