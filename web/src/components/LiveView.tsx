/**
 * Live view of one camera: fragmented MP4 from the server's `/live` socket namespace into Media Source
 * Extensions (no transcoding; H.264 only). Shows an overlay while starting or offline; recovers by itself when
 * the camera returns (the server restarts its ffmpeg and sends a fresh init segment).
 */
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { io, type Socket } from 'socket.io-client';
import type { LiveClientToServer, LiveServerToClient, LiveState } from '../../../services/schemas/api.ts';

type LiveSocket = Socket<LiveServerToClient, LiveClientToServer>;

export function LiveView({ cameraId }: { cameraId: string }) {
  const { t } = useTranslation();
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<LiveState>('starting');

  useEffect(() => {
    const el = video.current;
    if (!el || typeof MediaSource === 'undefined') {
      setState('unsupported');
      return;
    }
    let ms: MediaSource | null = null;
    let sb: SourceBuffer | null = null;
    const queue: ArrayBuffer[] = [];
    const pump = () => {
      if (!sb || sb.updating || queue.length === 0) return;
      try {
        sb.appendBuffer(queue.shift()!);
      } catch {
        queue.length = 0; // QuotaExceeded or a detached buffer: drop what is queued, the next init resets
      }
      // Stay near the live edge and keep the buffer short.
      if (el.buffered.length > 0) {
        const end = el.buffered.end(el.buffered.length - 1);
        if (end - el.currentTime > 3) el.currentTime = end - 0.5;
      }
    };
    const reset = (codec: string, init: ArrayBuffer) => {
      queue.length = 0;
      ms = new MediaSource();
      el.src = URL.createObjectURL(ms);
      ms.addEventListener(
        'sourceopen',
        () => {
          if (!ms) return;
          const type = `video/mp4; codecs="${codec}"`;
          if (!MediaSource.isTypeSupported(type)) {
            setState('unsupported');
            return;
          }
          sb = ms.addSourceBuffer(type);
          sb.mode = 'segments';
          sb.addEventListener('updateend', pump);
          queue.unshift(init);
          pump();
          void el.play().catch(() => undefined);
        },
        { once: true },
      );
    };
    const toArrayBuffer = (d: ArrayBuffer | Uint8Array): ArrayBuffer =>
      d instanceof ArrayBuffer
        ? d
        : (d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength) as ArrayBuffer);
    const socket: LiveSocket = io('/live', { transports: ['websocket'] });
    socket.on('connect', () => socket.emit('watch', { cameraId }));
    socket.on('status', (p) => {
      if (p.cameraId === cameraId) setState(p.state);
    });
    socket.on('init', (p) => {
      if (p.cameraId === cameraId) reset(p.codec, toArrayBuffer(p.data));
    });
    socket.on('segment', (p) => {
      if (p.cameraId !== cameraId) return;
      queue.push(toArrayBuffer(p.data));
      if (queue.length > 30) queue.splice(0, queue.length - 30);
      pump();
    });
    return () => {
      socket.emit('unwatch', { cameraId });
      socket.close();
      el.removeAttribute('src');
      el.load();
    };
  }, [cameraId]);

  return (
    <div className="live-view" data-testid="live-view" data-state={state}>
      <video ref={video} muted playsInline autoPlay />
      {state !== 'live' && <div className="live-overlay">{t(`live.${state}`)}</div>}
    </div>
  );
}
