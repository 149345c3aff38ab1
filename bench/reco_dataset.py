"""Pure-numpy reader of reco's binary container and dataset file (docs/formats.md §1-2).

Used by the Python peers in bench/ so that PyTorch trains on exactly the rows, features and
split that reco reads. Layout (little-endian; src/reco/core/container.h):

  [0, 64)    header: magic b"RECOBIN\\x1a", container version u32, kind char[8], kind version u32,
             n_sections u32, reserved u32, table offset u64, file size u64, table XXH3 u64,
             header XXH3 u64
  payloads   each at a 64-byte aligned offset
  table      n_sections x 72 bytes: name char[48] (NUL padded), offset u64, size u64, XXH3 u64

Checks made at open: size and magic, container version, kind == "dataset", kind version,
file size == header's, table and every section inside the file, each column's arrays of the
right length. XXH3-64 checksums are NOT verified (no XXH3 in Debian's Python stack, and the
peers only read files reco itself just wrote and verified); use `reco inspect FILE` for that.

Arrays are read-only numpy memmaps into the file (zero copy), like reco's spans.
"""
from __future__ import annotations

import json
import struct

import numpy as np

MAGIC = b"RECOBIN\x1a"
CONTAINER_VERSION = 1
DATASET_VERSION = 1
HEADER = struct.Struct("<8sI8sIIIQQQQ")  # 64 bytes
ENTRY = struct.Struct("<48sQQQ")  # 72 bytes

_DTYPES = {"f32": np.float32, "u32": np.uint32, "i32": np.int32, "i64": np.int64}


class RecoFileError(ValueError):
    """A file that is not a valid reco container/dataset; the message names the file."""


class Container:
    """A memory-mapped reco container: .kind, .kind_version, .sections {name: (offset, size)}."""

    def __init__(self, path: str):
        self.path = path
        self._map = np.memmap(path, dtype=np.uint8, mode="r")
        size = self._map.size
        if size < HEADER.size or bytes(self._map[:8]) != MAGIC:
            raise RecoFileError(f"{path}: not a reco file (bad magic or shorter than 64 bytes)")
        (_, version, kind, kind_version, n_sections, _reserved, table_offset, file_size, _tsum,
         _hsum) = HEADER.unpack(bytes(self._map[:HEADER.size]))
        if version > CONTAINER_VERSION:
            raise RecoFileError(f"{path}: container version {version} is newer than {CONTAINER_VERSION}")
        if file_size != size:
            raise RecoFileError(f"{path}: header says {file_size} bytes, file has {size}")
        table_end = table_offset + ENTRY.size * n_sections
        if table_end != file_size:
            raise RecoFileError(f"{path}: section table [{table_offset}, {table_end}) does not end the file")
        self.kind = kind.rstrip(b"\0").decode("ascii", "replace")
        self.kind_version = kind_version
        self.sections: dict[str, tuple[int, int]] = {}
        for i in range(n_sections):
            start = table_offset + ENTRY.size * i
            raw_name, offset, length, _checksum = ENTRY.unpack(bytes(self._map[start:start + ENTRY.size]))
            name = raw_name.split(b"\0", 1)[0].decode("utf-8")
            if offset + length > table_offset:
                raise RecoFileError(f"{path}: section '{name}' [{offset}, {offset + length}) overruns the table")
            self.sections[name] = (offset, length)

    def has(self, name: str) -> bool:
        return name in self.sections

    def bytes(self, name: str) -> bytes:
        offset, length = self._section(name)
        return bytes(self._map[offset:offset + length])

    def array(self, name: str, dtype) -> np.ndarray:
        offset, length = self._section(name)
        itemsize = np.dtype(dtype).itemsize
        if length % itemsize:
            raise RecoFileError(f"{self.path}: section '{name}' has {length} bytes, not a multiple of {itemsize}")
        return self._map[offset:offset + length].view(dtype)

    def _section(self, name: str) -> tuple[int, int]:
        if name not in self.sections:
            raise RecoFileError(f"{self.path}: no section '{name}'")
        return self.sections[name]


class Dataset:
    """A reco dataset file. .meta (dict), .rows, .columns (list of column dicts from meta),
    .column(name), .f32/.u32/.i32/.i64(name) -> memmap [rows], .multi_hot(name) ->
    (offsets u64 [rows+1], values u32, weights f32 or None), .split() -> u8 [rows] or None,
    .labels() -> label column names in column order, .by_role(role) -> column names."""

    def __init__(self, path: str):
        self.container = Container(path)
        self.path = path
        if self.container.kind != "dataset":
            raise RecoFileError(f"{path}: kind is '{self.container.kind}', expected 'dataset'")
        if self.container.kind_version > DATASET_VERSION:
            raise RecoFileError(f"{path}: dataset version {self.container.kind_version} is newer than {DATASET_VERSION}")
        self.meta = json.loads(self.container.bytes("meta"))
        self.rows = int(self.meta["rows"])
        self.columns = list(self.meta["columns"])
        self._by_name = {c["name"]: c for c in self.columns}
        for c in self.columns:  # length checks up front, like Dataset::open
            if c["storage"] == "multi_hot_u32":
                offsets, values, _ = self.multi_hot(c["name"])
                if offsets[0] != 0 or offsets[-1] != values.size:
                    raise RecoFileError(f"{path}: column '{c['name']}': offsets do not span the values")
            else:
                self._plain(c["name"], c["storage"])

    def column(self, name: str) -> dict:
        if name not in self._by_name:
            raise KeyError(f"{self.path}: no column '{name}' (have: {', '.join(self._by_name)})")
        return self._by_name[name]

    def by_role(self, role: str) -> list[str]:
        return [c["name"] for c in self.columns if c["role"] == role]

    def labels(self) -> list[str]:
        return self.by_role("label")

    def f32(self, name: str) -> np.ndarray:
        return self._plain(name, "f32")

    def u32(self, name: str) -> np.ndarray:
        return self._plain(name, "u32")

    def i32(self, name: str) -> np.ndarray:
        return self._plain(name, "i32")

    def i64(self, name: str) -> np.ndarray:
        return self._plain(name, "i64")

    def multi_hot(self, name: str):
        info = self.column(name)
        if info["storage"] != "multi_hot_u32":
            raise TypeError(f"{self.path}: column '{name}' is {info['storage']}, not multi_hot_u32")
        base = f"col/{name}"
        offsets = self.container.array(base + "/offsets", np.uint64)
        if offsets.size != self.rows + 1:
            raise RecoFileError(f"{self.path}: column '{name}': {offsets.size} offsets, expected {self.rows + 1}")
        values = self.container.array(base + "/values", np.uint32)
        weights = None
        if self.container.has(base + "/weights"):
            weights = self.container.array(base + "/weights", np.float32)
            if weights.size != values.size:
                raise RecoFileError(f"{self.path}: column '{name}': {weights.size} weights for {values.size} values")
        return offsets, values, weights

    def split(self):
        """u8 per row (0 train, 1 validation, 2 test), or None when the file has no split."""
        if not self.container.has("split"):
            return None
        split = self.container.array("split", np.uint8)
        if split.size != self.rows:
            raise RecoFileError(f"{self.path}: split has {split.size} rows, expected {self.rows}")
        return split

    def _plain(self, name: str, storage: str) -> np.ndarray:
        info = self.column(name)
        if info["storage"] != storage:
            raise TypeError(f"{self.path}: column '{name}' is {info['storage']}, not {storage}")
        values = self.container.array(f"col/{name}", _DTYPES[storage])
        if values.size != self.rows:
            raise RecoFileError(f"{self.path}: column '{name}' has {values.size} values, expected {self.rows}")
        return values


def open_dataset(path: str) -> Dataset:
    return Dataset(path)


if __name__ == "__main__":  # `python3 bench/reco_dataset.py FILE`: a short summary, for checking by hand
    import sys

    ds = open_dataset(sys.argv[1])
    split = ds.split()
    print(json.dumps({
        "rows": ds.rows,
        "columns": [[c["name"], c["role"], c["storage"], c.get("cardinality", 0)] for c in ds.columns],
        "labels": ds.labels(),
        "split_counts": None if split is None else np.bincount(split, minlength=3).tolist(),
    }))
