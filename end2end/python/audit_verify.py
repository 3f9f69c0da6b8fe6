"""An independent verifier for Wheelhouse audit exports (`wheelhouse-audit-export/1`), written from
docs/audit-export.md alone: it shares no code with the server's own verifier. Canonical JSON comes
from `rfc8785` (PyPI) and Ed25519 from `cryptography` (PyPI); the RFC 6962 Merkle tree hash and the
inclusion and consistency proof checks (RFC 9162 sections 2.1.3.2 and 2.1.4.2) are written here.

    audit_verify.py EXPORT [--public-key KEY]

KEY is a PEM file (SubjectPublicKeyInfo), a file holding the base64 of the 32 key bytes, or that
base64 itself; without it the header's own key is used (which proves the export intact, not who
made it). Prints one JSON object: {"ok": true, "entries", "checkpoints", "scope", "key_pinned"} and
exits 0, or {"ok": false, "problem", "seq", "line", "message"} for the first failure and exits 1.
A complete export is checked in O(log n) memory: the Merkle tree is kept as the roots of its perfect
subtrees, and only the previous checkpoint's size and root are remembered.
"""
import argparse
import base64
import binascii
import hashlib
import json
import os
import sys

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (Encoding, PublicFormat,
                                                          load_pem_public_key)

EXPORT_FORMAT = "wheelhouse-audit-export/1"
CHECKPOINT_FORMAT = "wheelhouse-audit-checkpoint/1"
EMPTY_ROOT = hashlib.sha256(b"").digest()


# --- RFC 6962 section 2.1 ----------------------------------------------------------------------

def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """The MTH of a growing list of leaves, kept as the roots of its perfect subtrees, largest
    first (one per set bit of the size, like a binary counter)."""

    def __init__(self):
        self.size = 0
        self.subtrees = []  # (height, hash)

    def append(self, leaf: bytes):
        height, digest = 0, leaf
        while self.subtrees and self.subtrees[-1][0] == height:
            digest = node_hash(self.subtrees.pop()[1], digest)
            height += 1
        self.subtrees.append((height, digest))
        self.size += 1

    def root(self) -> bytes:
        if not self.subtrees:
            return EMPTY_ROOT
        digest = self.subtrees[-1][1]
        for _, left in reversed(self.subtrees[:-1]):
            digest = node_hash(left, digest)
        return digest


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list):
    """The root an audit path leads to (RFC 9162 section 2.1.3.2), or None if it cannot be one."""
    if not 0 <= index < size:
        return None
    fn, sn, digest = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            digest = node_hash(digest, sibling)
        fn, sn = fn >> 1, sn >> 1
    return digest if sn == 0 else None


def consistent(size1: int, root1: bytes, size2: int, root2: bytes, proof: list) -> bool:
    """Whether `proof` shows the tree (size2, root2) extends (size1, root1): RFC 9162 section
    2.1.4.2, with the cases it leaves out: equal sizes and an empty first tree take no proof."""
    if size1 > size2:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if size1 == 0:
        return not proof
    if not proof:
        return False
    if size1 & (size1 - 1) == 0:
        proof = [root1] + proof
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = proof[0]
    for node in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first, second = node_hash(node, first), node_hash(node, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, node)
        fn, sn = fn >> 1, sn >> 1
    return first == root1 and second == root2 and sn == 0


# --- reading -----------------------------------------------------------------------------------

class Problem(Exception):
    def __init__(self, kind, message, seq=None, line=None):
        super().__init__(message)
        self.kind, self.message, self.seq, self.line = kind, message, seq, line


def _object(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("a member name appears twice in one object")
    return dict(pairs)


def _constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_line(raw: bytes):
    """One line as a JSON object; ValueError if it is not one (UnicodeDecodeError is one)."""
    value = json.loads(raw.decode("utf-8"), object_pairs_hook=_object, parse_constant=_constant)
    if not isinstance(value, dict):
        raise ValueError("the line is not a JSON object")
    return value


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def hex_hash(value):
    """32 bytes from lowercase hex, or None."""
    if not isinstance(value, str) or len(value) != 64 or value != value.lower():
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def hex_list(value):
    """A list of hashes from a list of lowercase hex strings, or None."""
    if not isinstance(value, list):
        return None
    hashes = [hex_hash(item) for item in value]
    return None if None in hashes else hashes


def key_id(key_bytes: bytes) -> str:
    return hashlib.sha256(key_bytes).digest()[:8].hex()


def raw_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_from_base64(text: str) -> Ed25519PublicKey:
    data = base64.b64decode(text.strip(), validate=True)
    if len(data) != 32:
        raise ValueError(f"{len(data)} bytes, not 32")
    return Ed25519PublicKey.from_public_bytes(data)


def load_pinned_key(argument: str) -> Ed25519PublicKey:
    """--public-key: a PEM file, a file of base64, or base64."""
    try:
        if os.path.isfile(argument):
            with open(argument, "rb") as file:
                data = file.read()
            if b"-----BEGIN" in data:
                key = load_pem_public_key(data)
                if not isinstance(key, Ed25519PublicKey):
                    raise ValueError("the PEM key is not an Ed25519 key")
                return key
            return key_from_base64(data.decode("ascii"))
        return key_from_base64(argument)
    except (OSError, ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise Problem("unreadable", f"the public key {argument!r} cannot be read: {error}.")


# --- verifying ---------------------------------------------------------------------------------

class Verifier:
    def __init__(self, pinned_key):
        self.key = pinned_key
        self.header = None
        self.entries = 0          # entry lines seen
        self.checkpoints = 0      # checkpoint lines seen
        self.last_seq = None      # seq of the last entry seen
        self.first_seq = None
        self.frontier = Frontier()        # complete exports
        self.previous = None              # (tree_size, root) of the previous checkpoint
        self.proof_roots = {}             # filtered: (tree_size, root or None) -> (seq, line)
        self.ended = False

    @property
    def complete(self):
        return self.header["scope"] == "complete"

    def line(self, number: int, raw: bytes):
        if self.ended:
            raise Problem("after_end", "something follows the end line.", line=number)
        try:
            value = parse_line(raw)
        except ValueError as error:
            if self.header is not None and not raw.endswith(b"\n"):
                raise Problem("cut", f"the last line stops part-way ({error}): the export was "
                              "cut.", self.last_seq, number)
            raise Problem("unreadable", f"line {number} is not a JSON object: {error}.",
                          line=number)
        kind = value.get("type")
        if self.header is None:
            return self.on_header(value, number)
        handler = {"entry": self.on_entry, "checkpoint": self.on_checkpoint, "end": self.on_end}
        if kind not in handler:
            raise Problem("unreadable", f"line {number} has type {kind!r}, which has no place "
                          "here.", line=number)
        handler[kind](value, number)

    def on_header(self, value, number):
        if value.get("type") != "header" or value.get("format") != EXPORT_FORMAT:
            raise Problem("no_header", f"the first line is not a {EXPORT_FORMAT} header.",
                          line=number)
        if not isinstance(value.get("organization_id"), str):
            raise Problem("no_header", "the header names no organization_id.", line=number)
        if value.get("scope") not in ("complete", "filtered"):
            raise Problem("no_header", f"the header's scope {value.get('scope')!r} is neither "
                          "complete nor filtered.", line=number)
        try:
            header_key = key_from_base64(value.get("public_key"))
        except (AttributeError, ValueError, binascii.Error) as error:
            header_key = None
            if self.key is None:
                raise Problem("no_header", f"the header's public_key is not base64 of an Ed25519 "
                              f"key ({error}).", line=number)
        if self.key is None:
            self.key = header_key
        elif header_key is None or raw_key(header_key) != raw_key(self.key):
            print("note: the header's public_key is not the pinned key", file=sys.stderr)
        self.header = value

    def on_entry(self, value, number):
        entry = value.get("entry")
        if not isinstance(entry, dict):
            raise Problem("unreadable", f"line {number} is an entry line without an entry object.",
                          line=number)
        seq = entry.get("seq")
        if not is_int(seq):
            seq = None
        if self.complete:
            expected = self.entries
            if seq is not None and seq > expected:
                raise Problem("missing", f"entry {expected} is missing: the next entry has seq "
                              f"{seq} (removed or reordered).", expected, number)
            if seq is None or seq < expected:
                raise Problem("out_of_place", f"expected entry {expected}, found seq {seq} "
                              "(inserted or reordered).", expected, number)
        else:
            if self.checkpoints:
                raise Problem("uncovered", f"entry {seq} comes after the filtered export's "
                              "checkpoint.", seq, number)
            if seq is None or seq < 0 or (self.last_seq is not None and seq <= self.last_seq):
                raise Problem("out_of_place", f"entry seq {seq} does not increase on the previous "
                              f"{self.last_seq} (inserted or reordered).", seq, number)
        if entry.get("organization_id") != self.header["organization_id"]:
            raise Problem("foreign_entry", f"entry {seq} belongs to organization "
                          f"{entry.get('organization_id')!r}, not the header's.", seq, number)
        try:
            leaf = leaf_hash(rfc8785.dumps(entry))
        except rfc8785.CanonicalizationError as error:
            raise Problem("edited", f"entry {seq} has no RFC 8785 canonical form ({error}).",
                          seq, number)
        if value.get("leaf_hash") != leaf.hex():
            raise Problem("edited", f"entry {seq} does not hash to its leaf_hash: it was edited.",
                          seq, number)
        if self.complete:
            self.frontier.append(leaf)
        else:
            proof = value.get("proof")
            root = size = None
            if isinstance(proof, dict) and is_int(proof.get("tree_size")):
                size, path = proof["tree_size"], hex_list(proof.get("path"))
                if path is not None:
                    root = root_from_inclusion(seq, size, leaf, path)
            self.proof_roots.setdefault((size, root), (seq, number))
        if self.first_seq is None:
            self.first_seq = seq
        self.last_seq = seq
        self.entries += 1

    def on_checkpoint(self, value, number):
        checkpoint = value.get("checkpoint")
        if not isinstance(checkpoint, dict):
            raise Problem("unreadable", f"line {number} is a checkpoint line without a checkpoint "
                          "object.", line=number)
        size, root = checkpoint.get("tree_size"), hex_hash(checkpoint.get("root_hash"))
        if not is_int(size) or size < 0 or root is None:
            raise Problem("unreadable", f"the checkpoint on line {number} lacks a tree_size or a "
                          "lowercase hex root_hash.", line=number)
        if checkpoint.get("format") != CHECKPOINT_FORMAT:
            raise Problem("unreadable", f"the checkpoint on line {number} is not of format "
                          f"{CHECKPOINT_FORMAT}.", line=number)
        if checkpoint.get("organization_id") != self.header["organization_id"]:
            raise Problem("foreign_entry", f"the checkpoint of tree_size {size} is of organization "
                          f"{checkpoint.get('organization_id')!r}, not the header's.", size, number)
        if not self.complete and self.checkpoints:
            raise Problem("inconsistent", "a filtered export has one checkpoint; this is another.",
                          size, number)
        self.check_signature(checkpoint, value.get("signature"), size, number)
        if self.complete:
            if self.entries != size:
                raise Problem("not_rebuilt", f"{self.entries} entries come before the checkpoint "
                              f"of tree_size {size}.", size, number)
            if self.frontier.root() != root:
                raise Problem("not_rebuilt", f"the entries' leaf hashes do not give the root_hash "
                              f"of the checkpoint of tree_size {size}: entries before it were "
                              "changed and their leaf hashes rewritten.", size, number)
        else:
            wrong = [where for tree, where in self.proof_roots.items() if tree != (size, root)]
            if wrong:
                seq, line = min(wrong, key=lambda where: where[1])
                raise Problem("not_included", f"entry {seq}'s proof does not lead to the "
                              f"root_hash of the checkpoint of tree_size {size}.", seq, line)
        if self.previous is not None:
            previous_size, previous_root = self.previous
            if size < previous_size:
                raise Problem("inconsistent", f"the checkpoint of tree_size {size} comes after "
                              f"one of {previous_size}.", size, number)
            proof = hex_list(value.get("consistency"))
            if proof is None or not consistent(previous_size, previous_root, size, root, proof):
                raise Problem("inconsistent", "the consistency proof from tree_size "
                              f"{previous_size} to {size} does not verify.", size, number)
        self.previous = (size, root)
        self.checkpoints += 1

    def check_signature(self, checkpoint, signature, size, number):
        expected_id = key_id(raw_key(self.key))
        try:
            data = base64.b64decode(signature, validate=True)
            self.key.verify(data, rfc8785.dumps(checkpoint))
        except (TypeError, ValueError, binascii.Error, InvalidSignature,
                rfc8785.CanonicalizationError):
            named = checkpoint.get("key_id")
            other = "" if named == expected_id else (
                f" (it names key_id {named!r}, the key's is {expected_id})")
            raise Problem("bad_signature", f"the signature of the checkpoint of tree_size {size} "
                          f"does not verify under the public key{other}.", size, number)
        if checkpoint.get("key_id") != expected_id:
            raise Problem("bad_signature", f"the checkpoint of tree_size {size} names key_id "
                          f"{checkpoint.get('key_id')!r}, not the key's {expected_id}.",
                          size, number)

    def on_end(self, value, number):
        if self.complete:
            if self.previous is None:
                raise Problem("uncovered", "no checkpoint signs the export.",
                              0 if self.entries else None, number)
            if self.entries > self.previous[0]:
                raise Problem("uncovered", f"entries from {self.previous[0]} on come after the "
                              "last checkpoint.", self.previous[0], number)
        elif self.previous is None:
            raise Problem("uncovered", "the filtered export has no checkpoint.", self.first_seq,
                          number)
        counted = (value.get("entries"), value.get("checkpoints"))
        if counted != (self.entries, self.checkpoints) or not all(map(is_int, counted)):
            raise Problem("counts", f"the end line counts {counted[0]} entries and {counted[1]} "
                          f"checkpoints; the export holds {self.entries} and {self.checkpoints}.",
                          line=number)
        self.ended = True

    def finish(self):
        if self.header is None:
            raise Problem("no_header", "the export is empty.")
        if not self.ended:
            raise Problem("cut", "the export has no end line: it was cut.", self.last_seq)


def verify(path: str, pinned_key) -> dict:
    verifier = Verifier(pinned_key)
    try:
        file = open(path, "rb")
    except OSError as error:
        raise Problem("unreadable", f"cannot open {path}: {error.strerror}.")
    with file:
        for number, raw in enumerate(file, 1):
            verifier.line(number, raw)
    verifier.finish()
    return {"ok": True, "entries": verifier.entries, "checkpoints": verifier.checkpoints,
            "scope": verifier.header["scope"], "key_pinned": pinned_key is not None}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export")
    parser.add_argument("--public-key", help="PEM file, base64 file or base64 of the Ed25519 key")
    arguments = parser.parse_args(argv)
    try:
        pinned = load_pinned_key(arguments.public_key) if arguments.public_key else None
        if pinned is None:
            print("note: no --public-key given: checked with the export's own key, which proves "
                  "the export intact, not who made it", file=sys.stderr)
        result = verify(arguments.export, pinned)
    except Problem as problem:
        print(json.dumps({"ok": False, "problem": problem.kind, "seq": problem.seq,
                          "line": problem.line, "message": problem.message}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
