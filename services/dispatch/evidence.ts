/**
 * Field photos: validation, re-encoding and files.
 *
 * Accepted inputs: JPEG and PNG (detected from the bytes, not the file name or MIME type). HEIC/HEIF (iPhone
 * default) is rejected with a clear 400 because the bundled libvips has no HEVC decoder; anything sharp
 * cannot decode is rejected too. Accepted photos are auto-rotated, scaled down to `maxSidePx` and re-encoded
 * to JPEG (quality 85); metadata (EXIF, including GPS) is stripped unless `keepExifLocation` is set, in which
 * case the whole EXIF block is kept. Files live under `<dataDir>/cases/<caseId>/`; nothing is ever deleted.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  openSync,
  fsyncSync,
  closeSync,
} from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { ValidationError } from './errors.ts';
import type { EvidenceSettings } from './schemas.ts';

/** An uploaded file as the router hands it over. */
export interface UploadedPhoto {
  originalName: string;
  data: Buffer;
}

/** File storage for case evidence. Names are `[A-Za-z0-9_.-]+` (no path traversal). */
export interface CaseEvidenceStore {
  /** Writes (atomically: temp file, fsync, rename) `<dataDir>/cases/<caseId>/<file>`. */
  write(caseId: string, file: string, data: Buffer): void;
  /** @returns the bytes, or null when missing or the name is invalid. */
  read(caseId: string, file: string): Buffer | null;
}

const SAFE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The filesystem evidence store rooted at `<dataDir>/cases`. */
export function fileCaseEvidenceStore(dataDir: string): CaseEvidenceStore {
  const root = path.join(dataDir, 'cases');
  const where = (caseId: string, file: string) => {
    if (!SAFE.test(caseId) || !SAFE.test(file)) return null;
    return { dir: path.join(root, caseId), file: path.join(root, caseId, file) };
  };
  return {
    write: (caseId, file, data) => {
      const w = where(caseId, file);
      if (!w) throw new Error(`invalid evidence name ${caseId}/${file}`);
      mkdirSync(w.dir, { recursive: true });
      const tmp = `${w.file}.tmp`;
      writeFileSync(tmp, data);
      const fd = openSync(tmp, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, w.file);
    },
    read: (caseId, file) => {
      const w = where(caseId, file);
      return w && existsSync(w.file) ? readFileSync(w.file) : null;
    },
  };
}

/** True when the bytes are an ISO-BMFF HEIC/HEIF file (`ftyp` box with a HEIF brand). */
export function isHeif(b: Buffer): boolean {
  if (b.length < 12 || b.toString('latin1', 4, 8) !== 'ftyp') return false;
  return ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(
    b.toString('latin1', 8, 12),
  );
}

/**
 * Validates and re-encodes one photo to JPEG.
 * @param index 1-based position in the upload (for messages).
 * @throws ValidationError 400 `unsupported_image` (HEIC, other formats, undecodable data) or `photo_too_large`.
 */
export async function normalisePhoto(
  p: UploadedPhoto,
  index: number,
  settings: EvidenceSettings,
): Promise<{ jpeg: Buffer; width: number; height: number }> {
  const label = `photo ${index} ("${p.originalName}")`;
  if (p.data.length > settings.maxPhotoBytes) {
    throw new ValidationError(
      `${label} is larger than ${settings.maxPhotoBytes} bytes`,
      undefined,
      'photo_too_large',
    );
  }
  if (isHeif(p.data)) {
    throw new ValidationError(
      `${label} is HEIC/HEIF, which this server cannot decode; send JPEG or PNG (on iPhone: Settings > Camera > Formats > Most Compatible)`,
      undefined,
      'unsupported_image',
    );
  }
  let format: string | undefined;
  try {
    format = (await sharp(p.data).metadata()).format;
  } catch {
    format = undefined;
  }
  if (format !== 'jpeg' && format !== 'png') {
    throw new ValidationError(
      `${label} is not a decodable JPEG or PNG${format ? ` (found ${format})` : ''}`,
      undefined,
      'unsupported_image',
    );
  }
  try {
    let img = sharp(p.data, { failOn: 'error' }).rotate().resize({
      width: settings.maxSidePx,
      height: settings.maxSidePx,
      fit: 'inside',
      withoutEnlargement: true,
    });
    if (settings.keepExifLocation) img = img.keepExif();
    const { data, info } = await img
      .jpeg({ quality: 85, mozjpeg: false })
      .toBuffer({ resolveWithObject: true });
    return { jpeg: data, width: info.width, height: info.height };
  } catch (e) {
    throw new ValidationError(
      `${label} cannot be decoded: ${(e as Error).message}`,
      undefined,
      'unsupported_image',
    );
  }
}
