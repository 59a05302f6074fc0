/**
 * Evidence rendering: JPEG snapshot of a frame with detection boxes drawn (sharp + an SVG overlay).
 */
import sharp from 'sharp';
import type { RgbImage } from '../capture/ppmStream.ts';
import type { Box } from '../schemas/api.ts';

const COLOURS: Record<string, string> = { hotspot: '#ff3b30', smoke: '#00e5ff', dust: '#ffb300' };

/** Builds the SVG overlay (pure): one rectangle per box, stroke ≥ 2 px, scaled with the frame size. */
export function boxesSvg(
  width: number,
  height: number,
  boxes: { box: Box; type: string; label?: string }[],
): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 160));
  const pad = stroke * 2;
  const rects = boxes
    .map(({ box, type, label }) => {
      const c = COLOURS[type] ?? '#ffffff';
      const x = Math.max(0, box.x - pad),
        y = Math.max(0, box.y - pad);
      const w = Math.min(width - x, box.w + 2 * pad),
        h = Math.min(height - y, box.h + 2 * pad);
      const text = label
        ? `<text x="${x}" y="${Math.max(12, y - 4)}" fill="${c}" font-family="sans-serif" font-size="${Math.max(12, stroke * 6)}">${escapeXml(label)}</text>`
        : '';
      return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${c}" stroke-width="${stroke}"/>${text}`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${rects}</svg>`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * Encodes the frame as JPEG (quality 85) with the boxes drawn. Without boxes (the clean snapshot) the frame is
 * encoded directly: rasterising an empty full-frame SVG cost as much as the encode itself, inside the serial
 * alert chain.
 */
export async function renderSnapshot(
  frame: RgbImage,
  boxes: { box: Box; type: string; label?: string }[],
): Promise<Buffer> {
  const img = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } });
  if (boxes.length === 0) return img.jpeg({ quality: 85 }).toBuffer();
  const svg = Buffer.from(boxesSvg(frame.width, frame.height, boxes));
  return img
    .composite([{ input: svg, top: 0, left: 0 }])
    .jpeg({ quality: 85 })
    .toBuffer();
}
