/** Filesystem adapter for evidence files (snapshots), under `<dataDir>/evidence/`. */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface EvidenceStore {
  /** Atomically writes the JPEG snapshot of an alert (write to a temp file, then rename). */
  writeSnapshot(alertId: string, jpeg: Buffer): void;
  /** @returns the JPEG, or null when missing. */
  readSnapshot(alertId: string): Buffer | null;
}

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function fileEvidenceStore(dataDir: string): EvidenceStore {
  const dir = path.join(dataDir, 'evidence');
  mkdirSync(dir, { recursive: true });
  const file = (id: string): string => {
    if (!SAFE_ID.test(id)) throw new Error(`invalid alert id ${JSON.stringify(id)}`);
    return path.join(dir, `${id}.jpg`);
  };
  return {
    writeSnapshot(id, jpeg) {
      const f = file(id);
      writeFileSync(`${f}.tmp`, jpeg);
      renameSync(`${f}.tmp`, f);
    },
    readSnapshot(id) {
      if (!SAFE_ID.test(id)) return null;
      try {
        return readFileSync(file(id));
      } catch {
        return null;
      }
    },
  };
}
