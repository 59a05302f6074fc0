/**
 * Filesystem adapter for evidence files, under `<dataDir>/evidence/`:
 * `<alertId>.jpg` (snapshot with boxes), `<alertId>.clean.jpg` (same frame without boxes), `<alertId>.mp4`
 * (short H.264 clip). Every write is atomic (temp file, then rename).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface EvidenceStore {
  /** Atomically writes the JPEG snapshot of an alert (write to a temp file, then rename). */
  writeSnapshot(alertId: string, jpeg: Buffer): void;
  /** @returns the JPEG, or null when missing. */
  readSnapshot(alertId: string): Buffer | null;
  /** The snapshot frame without boxes (optional so simple fakes need not implement it). */
  writeCleanSnapshot?(alertId: string, jpeg: Buffer): void;
  readCleanSnapshot?(alertId: string): Buffer | null;
  /** The alert's MP4 clip (H.264, yuv420p, +faststart). */
  writeClip?(alertId: string, mp4: Buffer): void;
  readClip?(alertId: string): Buffer | null;
  /** Absolute path of the stored clip, or null when missing (lets a route stream it with Range support). */
  clipFile?(alertId: string): string | null;
}

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function fileEvidenceStore(dataDir: string): Required<EvidenceStore> {
  const dir = path.join(dataDir, 'evidence');
  mkdirSync(dir, { recursive: true });
  const file = (id: string, suffix: string): string => {
    if (!SAFE_ID.test(id)) throw new Error(`invalid alert id ${JSON.stringify(id)}`);
    return path.join(dir, `${id}${suffix}`);
  };
  const write = (id: string, suffix: string, data: Buffer) => {
    const f = file(id, suffix);
    writeFileSync(`${f}.tmp`, data);
    renameSync(`${f}.tmp`, f);
  };
  const read = (id: string, suffix: string): Buffer | null => {
    if (!SAFE_ID.test(id)) return null;
    try {
      return readFileSync(file(id, suffix));
    } catch {
      return null;
    }
  };
  return {
    writeSnapshot: (id, jpeg) => write(id, '.jpg', jpeg),
    readSnapshot: (id) => read(id, '.jpg'),
    writeCleanSnapshot: (id, jpeg) => write(id, '.clean.jpg', jpeg),
    readCleanSnapshot: (id) => read(id, '.clean.jpg'),
    writeClip: (id, mp4) => write(id, '.mp4', mp4),
    readClip: (id) => read(id, '.mp4'),
    clipFile: (id) => (SAFE_ID.test(id) && existsSync(file(id, '.mp4')) ? file(id, '.mp4') : null),
  };
}
