#!/usr/bin/python3
"""A libtorrent (python3-libtorrent 2.0) peer for interop tests and benchmarks, run as a subprocess.

    lt_peer.py seed     --torrent T --data DIR --port P [--seconds S]
    lt_peer.py download --torrent T --out DIR --port P [--peer HOST:PORT ...] [--seconds S]
    lt_peer.py download --magnet URI --out DIR ...   (fetch the metadata from the peers, BEP 9)
                        [--have-pieces 0,2,5-9]   (start with only these pieces: copy from --data)
                        [--stay]                  (keep running (seeding) once complete)
    common options:     [--upload-limit BYTES_PER_S]  (this torrent's upload rate limit; applies to
                                                       loopback peers too)
                        [--enc-policy forced|enabled|disabled]  (MSE/PE, incoming and outgoing:
                                                       libtorrent's in_enc_policy / out_enc_policy)
                        [--enc-level plaintext|rc4|both] [--prefer-rc4]  (allowed_enc_level, prefer_rc4)
    seed only:          [--corrupt-pieces 0,2,5-9]  (once libtorrent has checked the data and is
                        seeding, flip one byte in every 16 KiB block of these pieces in the files on
                        disk: libtorrent then serves corrupt data without noticing, as it does not hash
                        what it uploads. Its own seed_mode cannot do this: it hashes each piece on the
                        first request and leaves seed mode when one fails.)

Loopback only: DHT, LSD, UPnP and NAT-PMP are off; settings are passed to the session constructor so
nothing starts before they apply. Prints one JSON object per line on stdout: {"event": "listening",
"port": P}, {"event": "ready", "pieces": N} once libtorrent's check of the existing data is done (before
that it refuses peers of this torrent), periodic {"event": "status", ...}, {"event": "peer_banned"} and
{"event": "error"} from alerts, and {"event": "finished"} when a download completes; a download exits 0
when complete, 3 on timeout. A seeder runs until killed or --seconds elapse.
"""
import argparse
import json
import os
import signal
import sys
import time

import libtorrent as lt


def emit(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def parse_ranges(text):
    out = set()
    for part in filter(None, text.split(",")):
        if "-" in part:
            a, b = part.split("-")
            out.update(range(int(a), int(b) + 1))
        else:
            out.add(int(part))
    return out


def make_session(port, extra=None):
    s = {
        "listen_interfaces": f"127.0.0.1:{port}",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert_category.error | lt.alert_category.status | lt.alert_category.peer,
        "user_agent": "lt_peer",
        "enable_incoming_utp": False,
        "enable_outgoing_utp": False,
        "out_enc_policy": 2 if os.environ.get("LT_ENCRYPTION") else 1,
        "in_enc_policy": 1,
    }
    if extra:
        s.update(extra)
    return lt.session(s)


def bound_port(ses, wanted):
    deadline = time.time() + 10
    while time.time() < deadline:
        for a in ses.pop_alerts():
            if isinstance(a, lt.listen_succeeded_alert):
                return a.port
            if isinstance(a, lt.listen_failed_alert):
                raise SystemExit(f"lt_peer: listen failed: {a.message()}")
        if wanted:
            return ses.listen_port()
        time.sleep(0.05)
    return ses.listen_port()


def status_line(h):
    st = h.status()
    return dict(event="status", progress=st.progress, state=str(st.state), peers=st.num_peers,
                down=st.download_payload_rate, up=st.upload_payload_rate,
                pieces=sum(1 for x in st.pieces if x) if st.pieces else 0,
                total_download=st.total_payload_download, total_upload=st.total_payload_upload)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["seed", "download"])
    ap.add_argument("--torrent")
    ap.add_argument("--magnet")
    ap.add_argument("--data")
    ap.add_argument("--out")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--peer", action="append", default=[])
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--have-pieces")
    ap.add_argument("--status-interval", type=float, default=1.0)
    ap.add_argument("--stay", action="store_true")
    ap.add_argument("--upload-limit", type=int, default=0)
    ap.add_argument("--corrupt-pieces")
    ap.add_argument("--enc-policy", choices=["forced", "enabled", "disabled"])
    ap.add_argument("--enc-level", choices=["plaintext", "rc4", "both"])
    ap.add_argument("--prefer-rc4", action="store_true")
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    enc = {}
    if args.enc_policy:
        policy = {"forced": lt.enc_policy.forced, "enabled": lt.enc_policy.enabled,
                  "disabled": lt.enc_policy.disabled}[args.enc_policy]
        enc.update(out_enc_policy=int(policy), in_enc_policy=int(policy))
    if args.enc_level:
        enc["allowed_enc_level"] = int({"plaintext": lt.enc_level.plaintext, "rc4": lt.enc_level.rc4,
                                        "both": lt.enc_level.both}[args.enc_level])
    if args.prefer_rc4:
        enc["prefer_rc4"] = True
    ses = make_session(args.port, enc)
    if args.magnet:
        atp = lt.parse_magnet_uri(args.magnet)
        ti = None
    else:
        ti = lt.torrent_info(args.torrent)
        atp = lt.add_torrent_params()
        atp.ti = ti
    if args.mode == "seed":
        atp.save_path = args.data
    else:
        atp.save_path = args.out
        if args.have_pieces is not None:
            # Start with only these pieces: write their bytes (others zero) and let libtorrent's
            # initial check find exactly them.
            keep = parse_ranges(args.have_pieces)
            write_partial(ti, args.data, args.out, keep)
    h = ses.add_torrent(atp)
    if args.upload_limit > 0:
        # The torrent's own peer class: unlike the session limit it applies to loopback peers too.
        h.set_upload_limit(args.upload_limit)
    port = bound_port(ses, args.port)
    emit(event="listening", port=port)
    for p in args.peer:
        host, _, prt = p.rpartition(":")
        h.connect_peer((host.strip("[]"), int(prt)))

    deadline = time.time() + args.seconds
    last = 0.0
    finished = False
    ready = False
    stay = args.stay or os.environ.get("LT_PEER_STAY") is not None
    checking = (lt.torrent_status.states.checking_files, lt.torrent_status.states.checking_resume_data)
    got_metadata = False
    while time.time() < deadline:
        for a in ses.pop_alerts():
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                emit(event="error", message=a.message())
            elif isinstance(a, lt.peer_ban_alert):
                emit(event="peer_banned", message=a.message())
            elif isinstance(a, lt.metadata_received_alert) and not got_metadata:
                got_metadata = True
                emit(event="metadata_received", name=h.torrent_file().name())
        st = h.status()
        # Ready: checked and started (an auto-managed torrent stays paused for a moment after its
        # check); until then libtorrent closes connections for this torrent.
        if not ready and st.state not in checking and not (st.flags & lt.torrent_flags.paused):
            ready = True
            extra = {}
            if args.mode == "seed" and args.corrupt_pieces:
                extra["corrupted"] = corrupt(ti, args.data, parse_ranges(args.corrupt_pieces))
            emit(event="ready", pieces=sum(1 for x in st.pieces if x) if st.pieces else 0, **extra)
        if time.time() - last >= args.status_interval:
            emit(**status_line(h))
            last = time.time()
        if args.mode == "download" and not finished and st.is_seeding:
            finished = True
            emit(event="finished", **{k: v for k, v in status_line(h).items() if k != "event"})
            if not stay:
                return 0
        time.sleep(0.05)
    return 0 if args.mode == "seed" or finished else 3


def corrupt(ti, data_dir, pieces, block=16384):
    """Flips one byte in every `block`-sized block of these pieces (pad files skipped) in the files
    under data_dir, in place; returns the number of bytes flipped. libtorrent reads through mmap, so it
    serves the changed bytes."""
    fs = ti.files()
    flipped = 0
    for piece in sorted(pieces):
        size = ti.piece_size(piece)
        for start in range(0, size, block):
            n = min(block, size - start)
            # The byte in the middle of this block, wherever it lands (skipping pad files).
            for sl in ti.map_block(piece, start + n // 2, 1):
                if fs.file_flags(sl.file_index) & lt.file_storage.flag_pad_file:
                    continue
                with open(os.path.join(data_dir, fs.file_path(sl.file_index)), "r+b") as f:
                    f.seek(sl.offset)
                    b = f.read(1)
                    f.seek(sl.offset)
                    f.write(bytes([b[0] ^ 0xA5]))
                flipped += 1
    return flipped


def write_partial(ti, data_dir, out_dir, keep):
    """Creates the files of `ti` under out_dir holding only the bytes of pieces in `keep` (others
    zero), so libtorrent's check finds exactly those pieces."""
    fs = ti.files()
    plen = ti.piece_length()
    for i in range(fs.num_files()):
        if fs.file_flags(i) & lt.file_storage.flag_pad_file:
            continue
        rel = fs.file_path(i)
        src = os.path.join(data_dir, rel)
        dst = os.path.join(out_dir, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        size = fs.file_size(i)
        off = fs.file_offset(i)
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            fout.truncate(size)
            pos = 0
            while pos < size:
                piece = (off + pos) // plen
                piece_end = (piece + 1) * plen - off
                n = min(size, piece_end) - pos
                if piece in keep:
                    fin.seek(pos)
                    fout.seek(pos)
                    fout.write(fin.read(n))
                pos += n


if __name__ == "__main__":
    sys.exit(main())
