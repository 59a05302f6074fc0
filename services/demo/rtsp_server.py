#!/usr/bin/python3
"""TowerWatch demo RTSP server (GStreamer gst-rtsp-server via PyGObject).

Serves one RTSP mount per demo stream. Each mount reads MPEG-TS over UDP from a loopback port and repacketises
the H.264 elementary stream into RTP without re-encoding. A feeder (ffmpeg -re -stream_loop -1 -c copy) per
stream, started and restarted by this script, loops the clip into that UDP port.

Both this process and its feeders die with their parent (PR_SET_PDEATHSIG), so nothing outlives TowerWatch.

Usage: rtsp_server.py CONFIG_JSON
CONFIG_JSON = {"port": 8554, "auth": {"user": "u", "password": "p"} | null,
               "streams": [{"mount": "cam", "udpPort": 20000, "codec": "h264|hevc", "feeder": ["ffmpeg", ...]}]}
With "auth", every mount requires HTTP Basic credentials (used to test credential handling).
Prints "READY <port>" on stdout once the server is attached.
"""
import ctypes
import json
import os
import signal
import subprocess
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL("libc.so.6", use_errno=True)


def die_with_parent():
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main():
    cfg = json.loads(sys.argv[1])
    die_with_parent()
    parent = os.getppid()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(cfg["port"]))
    # One thread per client connection, as N real cameras each answer on their own hardware. gst-rtsp-server's
    # default pool has ONE thread for every client, and a DESCRIBE blocks it while the mount's media prerolls
    # (gst_rtsp_media_prepare waits for preroll in the client's thread): every other client's requests, OPTIONS
    # included, then wait behind it, which made fleets of 40-100 simulated cameras fail to open in the bench.
    server.get_thread_pool().set_max_threads(-1)
    mounts = server.get_mount_points()
    auth_cfg = cfg.get("auth")
    if auth_cfg:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(auth_cfg["user"], auth_cfg["password"]), token)
        server.set_auth(auth)
    for s in cfg["streams"]:
        factory = GstRtspServer.RTSPMediaFactory()
        codec = "h265" if s.get("codec") in ("hevc", "h265") else "h264"
        if s.get("mode") in ("file", "file-shared"):
            # "file": each client plays the file from its start (real-time paced, not looped): for streams whose
            # first keyframe must come at once, e.g. a 60 s GOP that a live pre-roll would wait a minute for.
            # "file-shared": one pipeline per mount, started by its first client; later clients join it (as
            # several viewers of one real camera do), so N clients cost one demux + payload, not N.
            factory.set_launch(
                "( filesrc location=\"%s\" ! qtdemux ! %sparse config-interval=-1 ! rtp%spay name=pay0 pt=96 config-interval=1 )"
                % (s["clip"].replace("\"", ""), codec, codec)
            )
            factory.set_shared(s.get("mode") == "file-shared")
            if s.get("mode") == "file-shared":
                # A shared mount stands for a live camera: a PLAY's Range (ffmpeg and ffprobe always send
                # "npt=0.000-") must not seek the pipeline its other viewers watch. gst-rtsp-server 1.22 flush-seeks
                # a seekable shared media to 0 on every PLAY; with several clients arriving at once some seeks
                # never completed, the media stayed locked and later clients of that mount got no DESCRIBE answer
                # ("Invalid data found when processing input" in ffmpeg): 3-19 of 100 bench cameras (2026-11-30,
                # GST_DEBUG=rtspmedia:5: 73 seeks begun, 45 done). Publishing the clock (RFC 7273 a=ts-refclk /
                # a=mediaclk in the SDP) makes gst-rtsp-server treat the media as live, not seekable.
                factory.set_publish_clock_mode(GstRtspServer.RTSPPublishClockMode.CLOCK_AND_OFFSET)
        else:
            factory.set_launch(
                "( udpsrc port=%d buffer-size=4194304 caps=\"video/mpegts,systemstream=(boolean)true,packetsize=(int)188\" "
                "! tsdemux ! %sparse config-interval=-1 ! rtp%spay name=pay0 pt=96 config-interval=1 )"
                % (s["udpPort"], codec, codec)
            )
            factory.set_shared(True)
        if auth_cfg:
            factory.add_role_from_structure(
                Gst.Structure.new_from_string(
                    "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
                )
            )
        mounts.add_factory("/" + s["mount"], factory)

    if server.attach(None) == 0:
        print("ERROR cannot bind port %d" % cfg["port"], flush=True)
        sys.exit(2)

    feeders = {}

    started = {}

    def start_feeder(s):
        args = list(s["feeder"])
        # Keep timestamps increasing across feeder restarts (a clip switch or a crash): a timestamp jump back
        # makes clients drop or repeat frames.
        t0 = started.setdefault(s["mount"], time.monotonic())
        offset = time.monotonic() - t0
        if offset > 0.5:
            args[-1:-1] = ["-output_ts_offset", "%.3f" % (offset + 1.0)]
        feeders[s["mount"]] = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, preexec_fn=die_with_parent
        )

    for s in cfg["streams"]:
        if s.get("mode") not in ("file", "file-shared"):
            start_feeder(s)


    def watch():
        if os.getppid() != parent:
            shutdown()
            return False
        for s in cfg["streams"]:
            p = feeders.get(s["mount"])
            if p is None:
                continue
            if p.poll() is not None:
                print("feeder %s exited with %s; restarting" % (s["mount"], p.returncode), file=sys.stderr, flush=True)
                start_feeder(s)
        return True

    loop = GLib.MainLoop()

    def shutdown(*_):
        for p in feeders.values():
            if p.poll() is None:
                p.kill()
        for p in feeders.values():
            try:
                p.wait(timeout=2)
            except Exception:
                pass
        loop.quit()

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda: (shutdown(), False)[1])
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, lambda: (shutdown(), False)[1])
    GLib.timeout_add(500, watch)

    # Control channel on stdin, one JSON object per line:
    #   {"cmd": "switch", "mount": "cam", "clip": "/abs/clip.mp4"}  restart that feeder on another clip
    #   (simulates a PTZ camera looking somewhere else; the RTSP stream itself continues).
    def on_stdin(source, _cond):
        line = source.readline()
        if not line:
            return False
        try:
            msg = json.loads(line)
            if msg.get("cmd") == "switch":
                for s in cfg["streams"]:
                    if s["mount"] == msg["mount"]:
                        s["feeder"][s["feeder"].index("-i") + 1] = msg["clip"]
                        s["clip"] = msg["clip"]
                        p = feeders.get(s["mount"])
                        if p is not None and p.poll() is None:
                            p.kill()
                            p.wait()
                        start_feeder(s)
                        print("SWITCHED %s" % s["mount"], flush=True)
        except Exception as e:  # noqa: BLE001 - a bad command must not stop the server
            print("bad control line: %s" % e, file=sys.stderr, flush=True)
        return True

    GLib.io_add_watch(
        GLib.IOChannel.unix_new(sys.stdin.fileno()),
        GLib.PRIORITY_DEFAULT,
        GLib.IO_IN | GLib.IO_HUP,
        lambda _ch, c: on_stdin(sys.stdin, c),
    )
    print("READY %d" % cfg["port"], flush=True)
    loop.run()


if __name__ == "__main__":
    main()
