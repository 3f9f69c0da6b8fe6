"""Self-test of audit_verify.py without the server: builds small exports per docs/audit-export.md
(its own Ed25519 key, entries canonicalized by `rfc8785`), tampers with them, and checks the
verifier's verdicts. Also checks the Merkle code against RFC 6962 known values and against proofs
generated here by the recursive definitions of RFC 6962 section 2.1.
Run: .venv/bin/python audit_verify_selftest.py"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import audit_verify as av  # noqa: E402

ORG = "11111111-2222-4333-8444-555555555555"
failures = []


def check(name, got, want):
    if got != want:
        failures.append(f"{name}: got {got!r}, want {want!r}")
    print(("ok  " if got == want else "FAIL"), name)


# --- RFC 6962 by its recursive definitions (section 2.1), over a full list of leaf hashes ---------

def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return av.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def audit_path(m, leaves):
    if len(leaves) <= 1:
        return []
    k = split(len(leaves))
    if m < k:
        return audit_path(m, leaves[:k]) + [mth(leaves[k:])]
    return audit_path(m - k, leaves[k:]) + [mth(leaves[:k])]


def consistency_proof(m, leaves):
    def subproof(m, d, b):
        n = len(d)
        if m == n:
            return [] if b else [mth(d)]
        k = split(n)
        if m <= k:
            return subproof(m, d[:k], b) + [mth(d[k:])]
        return subproof(m - k, d[k:], False) + [mth(d[:k])]
    if m == 0 or m == len(leaves):
        return []
    return subproof(m, leaves, True)


def test_merkle():
    check("empty tree root", av.Frontier().root().hex(),
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    check("leaf hash of empty data", av.leaf_hash(b"").hex(),
          "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    # The eight leaves and roots of the certificate-transparency Merkle tree test vectors.
    data = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
            "606162636465666768696a6b6c6d6e6f"]
    roots = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
             "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
             "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
             "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
             "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
             "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
             "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
    frontier, got = av.Frontier(), []
    for item in data:
        frontier.append(av.leaf_hash(bytes.fromhex(item)))
        got.append(frontier.root().hex())
    check("RFC 6962 test-vector roots 1..8", got, roots)

    leaves = [av.leaf_hash(str(i).encode()) for i in range(40)]
    bad = {"frontier": 0, "inclusion": 0, "consistency": 0, "forged": 0}
    frontier = av.Frontier()
    for n in range(0, 41):
        root = mth(leaves[:n])
        if frontier.root() != root:
            bad["frontier"] += 1
        for i in range(n):
            path = audit_path(i, leaves[:n])
            if av.root_from_inclusion(i, n, leaves[i], path) != root:
                bad["inclusion"] += 1
            if path and av.root_from_inclusion(i, n, leaves[i], path[:-1]) == root:
                bad["forged"] += 1
            if av.root_from_inclusion(i, n, leaves[(i + 1) % 40], path) == root:
                bad["forged"] += 1
        for m in range(0, n + 1):
            proof = consistency_proof(m, leaves[:n])
            if not av.consistent(m, mth(leaves[:m]), n, root, proof):
                bad["consistency"] += 1
            if 0 < m < n and av.consistent(m, mth(leaves[1:m + 1]), n, root, proof):
                bad["forged"] += 1
            if proof and av.consistent(m, mth(leaves[:m]), n, root, proof[:-1]):
                bad["forged"] += 1
        if n < 40:
            frontier.append(leaves[n])
    check("frontier, inclusion and consistency against RFC 6962 definitions, sizes 0..40",
          bad, {"frontier": 0, "inclusion": 0, "consistency": 0, "forged": 0})


# --- building exports ---------------------------------------------------------------------------

def line(obj) -> str:
    return rfc8785.dumps(obj).decode("utf-8")


def make_entry(seq, org=ORG):
    entry = {"seq": seq, "time": f"2026-11-01T08:00:{seq % 60:02d}.{seq % 1000:03d}Z",
             "organization_id": org,
             "actor": {"kind": "person", "user_id": f"u-{seq}", "email": "zoë@example.com"},
             "source": {"interface": "console", "address": "192.0.2.7",
                        "user_agent": "Mozilla/5.0 «test»", "request_id": f"r-{seq}"},
             "action": "pool.update",
             "target": {"organization_id": org, "project_id": "p-1", "kind": "pool",
                        "id": f"pool-{seq}", "cluster_id": "c-1"},
             "before": {"size": seq, "autoscale": False},
             "after": {"size": seq + 1, "tags": ["a", "é"]},
             "outcome": {"outcome": "done"}}
    if seq % 4 == 3:
        entry["action"], entry["outcome"] = "cluster.create", {"outcome": "refused",
                                                               "reason": "quota \u2013 exceeded"}
        del entry["before"], entry["after"]
    return entry


def entry_line(entry, proof=None):
    obj = {"type": "entry", "leaf_hash": av.leaf_hash(rfc8785.dumps(entry)).hex(), "entry": entry}
    if proof is not None:
        obj["proof"] = proof
    return line(obj)


def checkpoint_line(key, size, root, consistency=None, org=ORG):
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    checkpoint = {"format": "wheelhouse-audit-checkpoint/1", "organization_id": org,
                  "tree_size": size, "root_hash": root.hex(), "time": "2026-11-01T09:00:00.000Z",
                  "key_id": av.key_id(public)}
    obj = {"type": "checkpoint", "checkpoint": checkpoint,
           "signature": base64.b64encode(key.sign(rfc8785.dumps(checkpoint))).decode()}
    if consistency is not None:
        obj["consistency"] = [h.hex() for h in consistency]
    return line(obj)


def header_line(key, scope, filter_=None):
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return line({"type": "header", "format": "wheelhouse-audit-export/1", "organization_id": ORG,
                 "exported_at": "2026-11-01T10:00:00.000Z",
                 "public_key": base64.b64encode(public).decode(), "key_id": av.key_id(public),
                 "scope": scope, "filter": filter_ or {}})


def complete_export(key, n, sizes):
    entries = [make_entry(seq) for seq in range(n)]
    leaves = [av.leaf_hash(rfc8785.dumps(entry)) for entry in entries]
    lines, previous = [header_line(key, "complete")], None
    for seq in range(-1, n):
        if seq >= 0:
            lines.append(entry_line(entries[seq]))
        for size in [s for s in sizes if s == seq + 1]:
            proof = None if previous is None else consistency_proof(previous, leaves[:size])
            lines.append(checkpoint_line(key, size, mth(leaves[:size]), proof))
            previous = size
    lines.append(line({"type": "end", "entries": n, "checkpoints": len(sizes)}))
    return lines


def filtered_export(key, n, selected):
    entries = [make_entry(seq) for seq in range(n)]
    leaves = [av.leaf_hash(rfc8785.dumps(entry)) for entry in entries]
    lines = [header_line(key, "filtered", {"action": "pool.update"})]
    for seq in selected:
        path = [h.hex() for h in audit_path(seq, leaves)]
        lines.append(entry_line(entries[seq], {"tree_size": n, "path": path}))
    lines.append(checkpoint_line(key, n, mth(leaves)))
    lines.append(line({"type": "end", "entries": len(selected), "checkpoints": 1}))
    return lines


def run(lines, *options, text=None):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as file:
        file.write("".join(item + "\n" for item in lines) if text is None else text)
    try:
        result = subprocess.run([sys.executable, os.path.join(HERE, "audit_verify.py"), file.name,
                                 *options], capture_output=True, text=True)
    finally:
        os.unlink(file.name)
    verdict = json.loads(result.stdout)
    if (result.returncode == 0) != verdict["ok"]:
        failures.append(f"exit code {result.returncode} disagrees with {verdict}")
    return verdict


def verdict(lines, *options, text=None):
    got = run(lines, *options, text=text)
    return (got["problem"], got["seq"]) if not got["ok"] else "ok"


def index_of_seq(lines, seq):
    return next(i for i, text in enumerate(lines)
                if json.loads(text).get("entry", {}).get("seq") == seq)


def retype(text, edit):
    obj = json.loads(text)
    edit(obj)
    return line(obj)


def test_exports():
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    b64key = base64.b64encode(public).decode()
    sizes = [0, 1, 4, 4, 9, 13]
    good = complete_export(key, 13, sizes)

    got = run(good)
    check("complete, untouched", got, {"ok": True, "entries": 13, "checkpoints": 6,
                                       "scope": "complete", "key_pinned": False})
    check("empty log, checkpoint of size 0", run(complete_export(key, 0, [0]))["ok"], True)
    check("1000 entries, checkpoints every 37", verdict(complete_export(
        key, 1000, [0] + list(range(1, 1001, 37)) + [1000])), "ok")

    with tempfile.TemporaryDirectory() as folder:
        pem = os.path.join(folder, "key.pem")
        with open(pem, "wb") as file:
            file.write(key.public_key().public_bytes(Encoding.PEM,
                                                     PublicFormat.SubjectPublicKeyInfo))
        b64 = os.path.join(folder, "key.b64")
        with open(b64, "w") as file:
            file.write(base64.b64encode(public).decode() + "\n")
        for name, option in [("PEM file", pem), ("base64 file", b64),
                             ("base64 string", b64key)]:
            check(f"pinned key as {name}", run(good, "--public-key", option)["key_pinned"], True)
    wrong = base64.b64encode(other.public_key().public_bytes(Encoding.Raw,
                                                             PublicFormat.Raw)).decode()
    check("different pinned key", verdict(good, "--public-key", wrong), ("bad_signature", 0))
    check("unreadable pinned key", verdict(good, "--public-key", "not base64!"),
          ("unreadable", None))

    i5 = index_of_seq(good, 5)
    edited = good[:]
    edited[i5] = retype(good[i5], lambda o: o["entry"].update(action="pool.delete"))
    check("edited entry", verdict(edited), ("edited", 5))

    rehashed = good[:]
    rehashed[i5] = entry_line({**make_entry(5), "action": "pool.delete"})
    check("edited entry with leaf_hash recomputed", verdict(rehashed), ("not_rebuilt", 9))

    check("removed entry", verdict(good[:i5] + good[i5 + 1:]), ("missing", 5))
    swapped = good[:]
    swapped[i5], swapped[i5 + 1] = good[i5 + 1], good[i5]
    check("two entries swapped", verdict(swapped), ("missing", 5))
    check("duplicated entry inserted", verdict(good[:i5 + 1] + [good[i5]] + good[i5 + 1:]),
          ("out_of_place", 6))
    check("tail cut", verdict(good[:-2]), ("cut", 12))
    whole = "".join(item + "\n" for item in good)
    check("cut part-way through a line", verdict(None, text=whole[:whole.rindex("\n", 0, -1) - 40]),
          ("cut", 12))
    check("no newline after the end line", verdict(None, text=whole[:-1]), "ok")

    i9 = next(i for i, text in enumerate(good) if '"tree_size":9' in text)
    altered = good[:]
    altered[i9] = retype(good[i9], lambda o: o["checkpoint"].update(tree_size=8))
    check("checkpoint tree_size altered", verdict(altered), ("bad_signature", 8))

    resigned = good[:]
    resigned[i9] = checkpoint_line(key, 9, b"\x11" * 32, [b"\x22" * 32])
    check("checkpoint re-signed over another root", verdict(resigned), ("not_rebuilt", 9))

    bad_proof = good[:]
    bad_proof[i9] = retype(good[i9], lambda o: o["consistency"].reverse())
    check("consistency proof reordered", verdict(bad_proof), ("inconsistent", 9))

    foreign = good[:]
    foreign[i5] = entry_line(make_entry(5, org="99999999-2222-4333-8444-555555555555"))
    check("entry of another organization", verdict(foreign), ("foreign_entry", 5))

    no_last = good[:-2] + [line({"type": "end", "entries": 13, "checkpoints": 5})]
    check("last checkpoint removed, end recounted", verdict(no_last), ("uncovered", 9))
    check("end line miscounts", verdict(good[:-1] + [line({"type": "end", "entries": 12,
                                                           "checkpoints": 6})]), ("counts", None))
    check("line after the end", verdict(good + [good[i5]]), ("after_end", None))
    check("no header", verdict(good[1:]), ("no_header", None))
    check("not JSON", verdict(good[:3] + ["{not json"] + good[3:]), ("unreadable", None))

    selected = [0, 2, 5, 6, 11]
    filtered = filtered_export(key, 13, selected)
    check("filtered, untouched", run(filtered, "--public-key", b64key),
          {"ok": True, "entries": 5, "checkpoints": 1, "scope": "filtered", "key_pinned": True})
    f5 = index_of_seq(filtered, 5)
    edited = filtered[:]
    edited[f5] = retype(filtered[f5], lambda o: o["entry"].update(action="pool.delete"))
    check("filtered, edited entry", verdict(edited), ("edited", 5))
    rehashed = filtered[:]
    changed = {**make_entry(5), "action": "pool.delete"}
    rehashed[f5] = retype(filtered[f5], lambda o: o.update(
        entry=changed, leaf_hash=av.leaf_hash(rfc8785.dumps(changed)).hex()))
    check("filtered, edited entry with leaf_hash recomputed", verdict(rehashed),
          ("not_included", 5))
    moved = filtered[:]
    moved[f5] = retype(filtered[f5], lambda o: o["proof"].update(tree_size=12))
    check("filtered, proof of another tree size", verdict(moved), ("not_included", 5))
    check("filtered, entries reordered",
          verdict(filtered[:f5] + [filtered[f5 + 1], filtered[f5]] + filtered[f5 + 2:]),
          ("out_of_place", 5))
    check("filtered, entry removed", verdict(filtered[:f5] + filtered[f5 + 1:-1] + [
        line({"type": "end", "entries": 4, "checkpoints": 1})]), "ok")
    check("filtered, tail cut", verdict(filtered[:-1]), ("cut", 11))
    check("filtered, checkpoint signed by another key",
          verdict(filtered, "--public-key", wrong), ("bad_signature", 13))


if __name__ == "__main__":
    test_merkle()
    test_exports()
    print(f"{len(failures)} failures" if failures else "all passed")
    for failure in failures:
        print("FAILURE:", failure)
    sys.exit(1 if failures else 0)
