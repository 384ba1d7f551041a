#!/usr/bin/python3
"""Builds the metainfo test corpus: tests/data/torrents/{bad,good}/*.torrent and bad/MANIFEST.

Every bad torrent is one malformation of an otherwise valid torrent; MANIFEST maps it to the error
ccbt::metainfo must report ("<file> <category>.<errc> [option=value ...]"; options are
parse_options fields the test sets, e.g. a small max_files). Good torrents carry the oddities a
parser must accept. Bencode, v2 merkle roots and piece layers are computed here (no libtorrent),
from deterministic content, so running the script again gives byte-identical files.

    /usr/bin/python3 tests/data/torrents/make_corpus.py
"""
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BLOCK = 16384


# ---- bencode --------------------------------------------------------------------------------------

class Raw(bytes):
    """Pre-encoded bytes, written verbatim (to build non-canonical or broken documents)."""


class Unsorted(list):
    """A dict given as a list of (key, value) pairs, written in this order (not sorted)."""


def benc(v):
    if isinstance(v, Raw):
        return bytes(v)
    if isinstance(v, bool):
        raise TypeError("bool")
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, Unsorted):
        return b"d" + b"".join(benc(k) + benc(x) for k, x in v) + b"e"
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted(((k.encode() if isinstance(k, str) else k), x) for k, x in v.items())
        return b"d" + b"".join(benc(k) + benc(x) for k, x in items) + b"e"
    raise TypeError(type(v))


# ---- content and hashes ---------------------------------------------------------------------------

def content(seed, size):
    """Deterministic pseudo-random bytes."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(b"%s:%d" % (seed.encode(), counter)).digest()
        counter += 1
    return bytes(out[:size])


def sha256(b):
    return hashlib.sha256(b).digest()


ZERO = b"\0" * 32


def merkle_root(nodes, width, pad):
    nodes = list(nodes) + [pad] * (width - len(nodes))
    while len(nodes) > 1:
        nodes = [sha256(nodes[i] + nodes[i + 1]) for i in range(0, len(nodes), 2)]
        pad = sha256(pad + pad)
    return nodes[0]


def next_pow2(n):
    p = 1
    while p < n:
        p *= 2
    return p


def v2_hashes(data, piece_length):
    """(pieces root, piece layer or None) of a non-empty file (BEP 52)."""
    leaves = [sha256(data[i:i + BLOCK]) for i in range(0, len(data), BLOCK)]
    if len(data) <= piece_length:
        return merkle_root(leaves, next_pow2(len(leaves)), ZERO), None
    per_piece = piece_length // BLOCK
    layer = []
    for i in range(0, len(leaves), per_piece):
        layer.append(merkle_root(leaves[i:i + per_piece], per_piece, ZERO))
    pad = merkle_root([], per_piece, ZERO)  # root of an all-zero piece subtree
    return merkle_root(layer, next_pow2(len(layer)), pad), layer


def v1_pieces(blob, piece_length):
    return b"".join(hashlib.sha1(blob[i:i + piece_length]).digest() for i in range(0, len(blob), piece_length))


# ---- torrent builders -----------------------------------------------------------------------------

def v1_torrent(name, files, piece_length=16384, single=False, extra_info=None, extra=None):
    """files: list of (path list, size) or dicts for "files" entries (pad files: attr p)."""
    entries, blob = [], b""
    for i, f in enumerate(files):
        if isinstance(f, dict):
            e = dict(f)
        else:
            path, size = f
            e = {"path": path, "length": size}
        size = e.get("length", 0) if isinstance(e.get("length", 0), int) else 0
        if "l" in e.get("attr", ""):
            size = 0
        pad = "p" in e.get("attr", "")
        blob += b"\0" * size if pad else content("%s/%d" % (name, i), size)
        entries.append(e)
    info = {"name": name, "piece length": piece_length, "pieces": v1_pieces(blob, piece_length)}
    if single:
        info["length"] = entries[0]["length"]
    else:
        info["files"] = entries
    info.update(extra_info or {})
    t = {"info": info, "announce": "http://tracker.example/announce"}
    t.update(extra or {})
    return t


def v2_parts(name, files, piece_length):
    """files: list of (path list, size). Returns (file tree, piece layers, [(path, size, data)])."""
    tree, layers, datas = {}, {}, []
    for i, (path, size) in enumerate(files):
        data = content("%s/%d" % (name, i), size)
        leaf = {"length": size}
        if size:
            root, layer = v2_hashes(data, piece_length)
            leaf["pieces root"] = root
            if layer is not None:
                layers[root] = b"".join(layer)
        node = tree
        for c in path[:-1]:
            node = node.setdefault(c, {})
        node[path[-1]] = {"": leaf}
        datas.append((path, size, data))
    return tree, layers, datas


def v2_torrent(name, files, piece_length=16384, extra_info=None):
    tree, layers, _ = v2_parts(name, files, piece_length)
    info = {"name": name, "piece length": piece_length, "meta version": 2, "file tree": tree}
    info.update(extra_info or {})
    t = {"info": info, "announce": "http://tracker.example/announce"}
    if layers:
        t["piece layers"] = layers
    return t


def hybrid_torrent(name, files, piece_length=16384, tail_pad=True, single=False):
    """v2 file tree + v1 list with BEP 47 pad files aligning each file to a piece boundary."""
    # The v1 list must follow the order of the file tree, whose keys are sorted.
    files = sorted(files, key=lambda f: [c.encode() for c in f[0]])
    tree, layers, datas = v2_parts(name, files, piece_length)
    entries, blob = [], b""
    last = max(i for i, (_, s, _) in enumerate(datas) if s > 0)
    for i, (path, size, data) in enumerate(datas):
        entries.append({"path": path, "length": size})
        blob += data
        gap = (-size) % piece_length if size else 0
        if gap and (tail_pad or i != last):
            entries.append({"path": [".pad", str(gap)], "length": gap, "attr": "p"})
            blob += b"\0" * gap
    info = {"name": name, "piece length": piece_length, "meta version": 2, "file tree": tree,
            "pieces": v1_pieces(blob, piece_length)}
    if single:
        info["length"] = files[0][1]
    else:
        info["files"] = entries
    t = {"info": info, "announce": "http://tracker.example/announce"}
    if layers:
        t["piece layers"] = layers
    return t


# ---- the corpus -----------------------------------------------------------------------------------

def bad_cases():
    """(file name, expected error, torrent bytes or object, options)."""
    m = "metainfo."
    base1 = lambda **kw: v1_torrent("base", [(["a.txt"], 20000), (["d", "b.bin"], 5000)], **kw)
    single = lambda **kw: v1_torrent("single.bin", [(["single.bin"], 40000)], single=True, **kw)
    v2 = lambda: v2_torrent("v2", [(["big.bin"], 70000), (["small.txt"], 100)])
    hy = lambda **kw: hybrid_torrent("hy", [(["a.bin"], 40000), (["b.txt"], 5)], **kw)

    def mutate(t, fn):
        fn(t)
        return t

    cases = [
        # bencode and structure
        ("not_bencode", "bencode.invalid_character", Raw(b"hello world"), {}),
        ("truncated", "bencode.string_too_long", Raw(benc(single())[:-30]), {}),
        ("trailing_garbage", "bencode.trailing_data", Raw(benc(single()) + b"xyz"), {}),
        ("too_deep_bencode", "bencode.depth_exceeded", Raw(b"d4:info" + b"l" * 150 + b"e" * 150 + b"e"), {}),
        ("top_level_list", m + "not_a_dictionary", [single()], {}),
        ("missing_info", m + "missing_info", {"announce": "http://x/"}, {}),
        ("info_is_list", m + "invalid_info", {"info": [1, 2]}, {}),
        ("input_too_large", m + "input_too_large", single(), {"max_input_size": 100}),
        ("info_too_large", m + "info_too_large", single(), {"max_info_size": 64}),
        # piece length
        ("missing_piece_length", m + "missing_piece_length", mutate(single(), lambda t: t["info"].pop("piece length")), {}),
        ("piece_length_zero", m + "invalid_piece_length", mutate(single(), lambda t: t["info"].update({"piece length": 0})), {}),
        ("piece_length_negative", m + "invalid_piece_length", mutate(single(), lambda t: t["info"].update({"piece length": -16384})), {}),
        ("piece_length_string", m + "invalid_piece_length", mutate(single(), lambda t: t["info"].update({"piece length": "16384"})), {}),
        ("piece_length_huge", m + "invalid_piece_length", mutate(single(), lambda t: t["info"].update({"piece length": 1 << 31})), {}),
        ("v2_piece_length_not_pow2", m + "invalid_piece_length", v2_torrent("v2", [(["a"], 100)], piece_length=49152), {}),
        ("v2_piece_length_8k", m + "invalid_piece_length", v2_torrent("v2", [(["a"], 100)], piece_length=8192), {}),
        # pieces
        ("missing_pieces", m + "missing_pieces", mutate(single(), lambda t: t["info"].pop("pieces")), {}),
        ("pieces_not_multiple_of_20", m + "invalid_pieces", mutate(single(), lambda t: t["info"].update({"pieces": t["info"]["pieces"][:-1]})), {}),
        ("pieces_not_string", m + "invalid_pieces", mutate(single(), lambda t: t["info"].update({"pieces": 5})), {}),
        ("pieces_too_few", m + "pieces_size_mismatch", mutate(single(), lambda t: t["info"].update({"pieces": t["info"]["pieces"][:-20]})), {}),
        ("pieces_too_many", m + "pieces_size_mismatch", mutate(single(), lambda t: t["info"].update({"pieces": t["info"]["pieces"] + b"\1" * 20})), {}),
        ("too_many_pieces", m + "too_many_pieces", {"info": {"name": "huge", "piece length": 16384, "length": 40 << 30, "pieces": b""}}, {}),
        ("too_many_pieces_limit", m + "too_many_pieces", single(), {"max_pieces": 2}),
        # names
        ("missing_name", m + "missing_name", mutate(single(), lambda t: t["info"].pop("name")), {}),
        ("name_not_string", m + "missing_name", mutate(single(), lambda t: t["info"].update({"name": 7})), {}),
        ("name_dotdot_single", m + "invalid_name", mutate(single(), lambda t: t["info"].update({"name": ".."})), {}),
        ("name_empty_single", m + "invalid_name", mutate(single(), lambda t: t["info"].update({"name": ""})), {}),
        # lengths
        ("single_missing_length", m + "missing_length", mutate(single(), lambda t: t["info"].pop("length")), {}),
        ("file_missing_length", m + "missing_length", mutate(base1(), lambda t: t["info"]["files"][1].pop("length")), {}),
        ("negative_length", m + "invalid_length", mutate(base1(), lambda t: t["info"]["files"][0].update({"length": -1})), {}),
        ("length_not_integer", m + "invalid_length", mutate(base1(), lambda t: t["info"]["files"][0].update({"length": "20000"})), {}),
        ("size_overflow", m + "size_overflow", {"info": {"name": "big", "piece length": 1 << 29, "pieces": b"",
                                                        "files": [{"path": ["a"], "length": 1 << 59}, {"path": ["b"], "length": 1 << 59},
                                                                  {"path": ["c"], "length": 1}]}}, {}),
        ("zero_total_single", m + "no_files", {"info": {"name": "z", "piece length": 16384, "pieces": b"", "length": 0}}, {}),
        ("zero_total_multi", m + "no_files", {"info": {"name": "z", "piece length": 16384, "pieces": b"",
                                                       "files": [{"path": ["a"], "length": 0}, {"path": ["b"], "length": 0}]}}, {}),
        # file lists and paths
        ("files_not_list", m + "invalid_files", mutate(base1(), lambda t: t["info"].update({"files": {"a": 1}})), {}),
        ("files_empty_list", m + "invalid_files", mutate(base1(), lambda t: t["info"].update({"files": []})), {}),
        ("file_entry_not_dict", m + "invalid_file_entry", mutate(base1(), lambda t: t["info"]["files"].insert(1, "oops")), {}),
        ("missing_path", m + "missing_path", mutate(base1(), lambda t: t["info"]["files"][0].pop("path")), {}),
        ("path_not_list", m + "invalid_path", mutate(base1(), lambda t: t["info"]["files"][0].update({"path": "a.txt"})), {}),
        ("path_empty_list", m + "invalid_path", mutate(base1(), lambda t: t["info"]["files"][0].update({"path": []})), {}),
        ("path_element_not_string", m + "invalid_path", mutate(base1(), lambda t: t["info"]["files"][1].update({"path": ["d", 5]})), {}),
        ("path_too_deep", m + "path_too_deep", mutate(base1(), lambda t: t["info"]["files"][1].update({"path": ["d"] * 70 + ["x"]})), {}),
        ("too_many_files", m + "too_many_files", v1_torrent("many", [(["f%d" % i], 10) for i in range(11)]), {"max_files": 10}),
        # v2 structure
        ("meta_version_3", m + "invalid_meta_version", mutate(v2(), lambda t: t["info"].update({"meta version": 3})), {}),
        ("meta_version_string", m + "invalid_meta_version", mutate(v2(), lambda t: t["info"].update({"meta version": "2"})), {}),
        ("file_tree_without_meta_version", m + "invalid_meta_version", mutate(v2(), lambda t: t["info"].pop("meta version")), {}),
        ("v2_missing_file_tree", m + "missing_file_tree", mutate(v2(), lambda t: t["info"].pop("file tree")), {}),
        ("file_tree_not_dict", m + "invalid_file_tree", mutate(v2(), lambda t: t["info"].update({"file tree": ["big.bin"]})), {}),
        ("file_tree_node_not_dict", m + "invalid_file_tree", mutate(v2(), lambda t: t["info"]["file tree"].update({"c": 5})), {}),
        ("file_tree_empty_key", m + "invalid_file_tree", mutate(v2(), lambda t: t["info"]["file tree"].update({"": {"": {"length": 1}}})), {}),
        ("file_tree_file_and_dir", m + "invalid_file_tree", mutate(v2(), lambda t: t["info"]["file tree"]["small.txt"].update({"x": {"": {"length": 0}}})), {}),
        ("file_tree_leaf_not_dict", m + "invalid_file_tree", mutate(v2(), lambda t: t["info"]["file tree"].update({"c": {"": 5}})), {}),
        ("file_tree_empty", m + "no_files", mutate(v2(), lambda t: t["info"].update({"file tree": {}})), {}),
        ("file_tree_too_deep", m + "nesting_too_deep", v2_torrent("deep", [(["d%d" % i for i in range(70)] + ["f"], 10)]), {}),
        ("v2_missing_length", m + "missing_length", mutate(v2(), lambda t: t["info"]["file tree"]["small.txt"][""].pop("length")), {}),
        ("v2_negative_length", m + "invalid_length", mutate(v2(), lambda t: t["info"]["file tree"]["small.txt"][""].update({"length": -5})), {}),
        ("missing_pieces_root", m + "missing_pieces_root", mutate(v2(), lambda t: t["info"]["file tree"]["small.txt"][""].pop("pieces root")), {}),
        ("zero_pieces_root", m + "missing_pieces_root", mutate(v2(), lambda t: t["info"]["file tree"]["small.txt"][""].update({"pieces root": ZERO})), {}),
        ("short_pieces_root", m + "invalid_pieces_root", mutate(v2(), lambda t: t["info"]["file tree"]["small.txt"][""].update({"pieces root": b"\1" * 31})), {}),
        ("pieces_root_not_string", m + "invalid_pieces_root", mutate(v2(), lambda t: t["info"]["file tree"]["small.txt"][""].update({"pieces root": 1})), {}),
        # piece layers
        ("missing_piece_layers", m + "missing_piece_layers", mutate(v2(), lambda t: t.pop("piece layers")), {}),
        ("piece_layers_not_dict", m + "invalid_piece_layers", mutate(v2(), lambda t: t.update({"piece layers": [b"x"]})), {}),
        ("missing_piece_layer", m + "missing_piece_layer", mutate(v2(), lambda t: t.update({"piece layers": {b"\7" * 32: b"\0" * 32}})), {}),
        ("piece_layer_not_multiple_of_32", m + "invalid_piece_layers",
         mutate(v2(), lambda t: t["piece layers"].update({k: v[:-1] for k, v in t["piece layers"].items()})), {}),
        ("piece_layer_not_string", m + "invalid_piece_layers",
         mutate(v2(), lambda t: t["piece layers"].update({k: 5 for k in t["piece layers"]})), {}),
        ("piece_layers_bad_key", m + "invalid_piece_layers", mutate(v2(), lambda t: t["piece layers"].update({b"short": ZERO})), {}),
        ("piece_layers_unused_bad_value", m + "invalid_piece_layers", mutate(v2(), lambda t: t["piece layers"].update({b"\7" * 32: b"x"})), {}),
        ("piece_layer_too_short", m + "piece_layer_size_mismatch",
         mutate(v2(), lambda t: t["piece layers"].update({k: v[:-32] for k, v in t["piece layers"].items()})), {}),
        ("piece_layer_too_long", m + "piece_layer_size_mismatch",
         mutate(v2(), lambda t: t["piece layers"].update({k: v + ZERO for k, v in t["piece layers"].items()})), {}),
        ("piece_layer_wrong_hash", m + "piece_layer_mismatch",
         mutate(v2(), lambda t: t["piece layers"].update({k: b"\1" + v[1:] for k, v in t["piece layers"].items()})), {}),
        # hybrid
        ("hybrid_path_mismatch", m + "hybrid_mismatch", mutate(hy(), lambda t: t["info"]["files"][0].update({"path": ["other.bin"]})), {}),
        ("hybrid_size_mismatch", m + "hybrid_mismatch", mutate(hy(), lambda t: t["info"]["files"][2].update({"length": 6})), {}),
        ("hybrid_order_swapped", m + "hybrid_mismatch", mutate(hy(), lambda t: t["info"]["files"].reverse()), {}),
        ("hybrid_extra_file", m + "hybrid_mismatch", mutate(hy(), lambda t: t["info"]["files"].append({"path": ["z"], "length": 0})), {}),
        ("hybrid_missing_pad", m + "hybrid_misaligned", mutate(hy(), lambda t: t["info"]["files"].pop(1)), {}),
        ("hybrid_tail_pad_wrong_size", m + "hybrid_misaligned", mutate(hy(), lambda t: t["info"]["files"][3].update({"length": 100})), {}),
        ("hybrid_without_v1_files", m + "missing_length", mutate(hy(), lambda t: t["info"].pop("files")), {}),
        # pad files and symlinks
        ("pad_single_file", m + "invalid_pad_file", mutate(single(), lambda t: t["info"].update({"attr": "p"})), {}),
        ("pad_symlink", m + "invalid_pad_file", v1_torrent("ps", [(["a"], 100), {"path": [".pad", "x"], "attr": "pl", "length": 16284, "symlink path": ["a"]}, (["b"], 5)]), {}),
        ("pad_in_file_tree", m + "invalid_pad_file", mutate(v2(), lambda t: t["info"]["file tree"]["small.txt"][""].update({"attr": "p"})), {}),
        ("symlink_without_target", m + "invalid_symlink", v1_torrent("sl", [(["a"], 100), {"path": ["link"], "attr": "l"}]), {}),
        ("symlink_target_not_list", m + "invalid_symlink", v1_torrent("sl", [(["a"], 100), {"path": ["link"], "attr": "l", "symlink path": "a"}]), {}),
        ("symlink_target_element_int", m + "invalid_symlink", v1_torrent("sl", [(["a"], 100), {"path": ["link"], "attr": "l", "symlink path": ["a", 1]}]), {}),
    ]
    return cases


def good_cases():
    """(file name, torrent bytes or object). tests/unit/metainfo/corpus_test.cpp checks each."""
    info = {"name": "unordered", "piece length": 16384, "length": 1000, "pieces": hashlib.sha1(content("unordered/0", 1000)).digest()}
    unordered = Unsorted([("info", Unsorted([("pieces", info["pieces"]), ("name", "unordered"), ("length", 1000),
                                             ("piece length", 16384)])),
                          ("announce", "http://t/")])
    weird = v1_torrent("weird", [
        (["..", "up.txt"], 10), ([".", "dot.txt"], 10), (["", "empty_component"], 10), (["a/b"], 10),
        (["back\\slash"], 10), (["ctl\x01\x1fchar"], 10), (["/abs"], 10), ([".."], 10), (["\u00e9t\u00e9 \u65e5\u672c"], 10),
        (["x" * 300 + ".mkv"], 10), (["evil\u202etxt.exe"], 10), ([b"\xff\xfe"], 10), (["CON"], 10), (["trailing. "], 10),
    ])
    dups = v1_torrent("dups", [(["a.txt"], 1), (["a.txt"], 2), (["A.TXT"], 3), (["a.1.txt"], 4), (["d"], 5), (["d", "e"], 6)])
    empties = v1_torrent("empties", [(["e0"], 0), (["x"], 20000), (["e1"], 0), (["y"], 1), (["e2"], 0)])
    symlinks = v1_torrent("links", [(["dir", "target.bin"], 3000),
                                    {"path": ["link_to_file"], "attr": "l", "symlink path": ["dir", "target.bin"]},
                                    {"path": ["link_to_dir"], "attr": "l", "symlink path": ["dir"]},
                                    {"path": ["escaping"], "attr": "l", "symlink path": ["..", "..", "etc", "passwd"]},
                                    {"path": ["exec.sh"], "attr": "x", "length": 10},
                                    {"path": ["hidden"], "attr": "h", "length": 10, "mtime": 1700000000}])
    v1pads = v1_torrent("v1pads", [(["a"], 100), {"path": [".pad", "16284"], "attr": "p", "length": 16284}, (["b"], 16384),
                                   {"path": ["not_in_pad_dir"], "attr": "p", "length": 5}, (["c"], 7),
                                   {"path": ["_____padding_file_0_"], "length": 3}, (["d"], 9)])
    extras = v1_torrent("extras", [(["f"], 100)], single=True,
                        extra_info={"private": 1, "source": "SRC", "name.utf-8": "extras-utf8"},
                        extra={"announce-list": [["http://a/", "http://b/"], ["udp://c:80"], [], ["http://a/", " http://d/ "], "bad"],
                               "url-list": ["http://seed1/", "http://seed1/", "", "http://seed2/"],
                               "creation date": 1700000000, "comment": "a comment", "created by": "make_corpus"})
    urlstr = v1_torrent("urlstr", [(["f"], 100)], single=True, extra={"url-list": "http://only/"})
    v1_odd_piece = v1_torrent("odd_piece", [(["f"], 100000)], piece_length=49152, single=True)
    clash = v1_torrent("clash", [(["x"], 1), (["x", "y"], 2), (["x", "y", "z"], 3)])
    v2single = v2_torrent("ignored-name", [(["only.bin"], 70000)])
    v2multi = v2_torrent("v2multi", [(["a.bin"], 40000), (["b", "c.txt"], 5), (["e"], 0), (["big"], 100000)], piece_length=32768)
    v2empty_root = mutate_good(v2_torrent("v2emptyroot", [(["a"], 10), (["e"], 0)]),
                               lambda t: t["info"]["file tree"]["e"][""].update({"pieces root": b"\5" * 32}))
    v2extra_layers = mutate_good(v2_torrent("v2extra", [(["a"], 50000)]),
                                 lambda t: t["piece layers"].update({b"\6" * 32: ZERO + ZERO}))
    v2symlink = mutate_good(v2_torrent("v2link", [(["a"], 50000), (["b"], 10)]),
                            lambda t: t["info"]["file tree"].update({"l": {"": {"attr": "l", "symlink path": ["a"]}}}))
    v2emptydir = mutate_good(v2_torrent("v2emptydir", [(["a"], 10)]), lambda t: t["info"]["file tree"].update({"emptydir": {}}))
    hy_tail = hybrid_torrent("hytail", [(["a.bin"], 40000), (["z", "b.txt"], 5), (["e"], 0)])
    hy_notail = hybrid_torrent("hynotail", [(["a.bin"], 40000), (["z", "b.txt"], 5)], tail_pad=False)
    hy_single = hybrid_torrent("one.bin", [(["one.bin"], 50000)], single=True)
    return [
        ("unordered_keys", unordered), ("weird_paths", weird), ("duplicate_names", dups), ("empty_files", empties),
        ("symlinks_and_attrs", symlinks), ("v1_pad_files", v1pads), ("trackers_and_extras", extras),
        ("url_list_string", urlstr), ("v1_odd_piece_length", v1_odd_piece), ("file_dir_clash", clash),
        ("v2_single", v2single), ("v2_multi", v2multi), ("v2_empty_file_with_root", v2empty_root),
        ("v2_extra_piece_layers", v2extra_layers), ("v2_symlink", v2symlink), ("v2_empty_dir", v2emptydir),
        ("hybrid_tail_pad", hy_tail), ("hybrid_no_tail_pad", hy_notail), ("hybrid_single", hy_single),
    ]


def mutate_good(t, fn):
    fn(t)
    return t


def main():
    bad_dir, good_dir = os.path.join(HERE, "bad"), os.path.join(HERE, "good")
    for d in (bad_dir, good_dir):
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if f.endswith(".torrent") or f == "MANIFEST":
                os.remove(os.path.join(d, f))
    manifest = []
    seen = set()
    for name, expected, t, opts in bad_cases():
        assert name not in seen, name
        seen.add(name)
        with open(os.path.join(bad_dir, name + ".torrent"), "wb") as f:
            f.write(benc(t))
        manifest.append(" ".join([name + ".torrent", expected] + ["%s=%d" % kv for kv in sorted(opts.items())]))
    with open(os.path.join(bad_dir, "MANIFEST"), "w") as f:
        f.write("# <file> <category>.<errc> [parse_options field=value ...] -- written by make_corpus.py\n")
        f.write("\n".join(manifest) + "\n")
    for name, t in good_cases():
        with open(os.path.join(good_dir, name + ".torrent"), "wb") as f:
            f.write(benc(t))
    print("%d bad, %d good" % (len(manifest), len(good_cases())), file=sys.stderr)


if __name__ == "__main__":
    main()
