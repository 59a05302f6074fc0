import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { boxesSvg, drawBoxes, renderSnapshot } from './snapshot.ts';

const W = 320,
  H = 160;
const grey = () => ({ width: W, height: H, data: Buffer.alloc(W * H * 3, 50) });
const px = (img: { data: Buffer }, x: number, y: number) => [
  ...img.data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3),
];

describe('drawBoxes', () => {
  it('outlines each box in its type colour outside the box, leaves the inside and the input untouched', () => {
    const frame = grey();
    const out = drawBoxes(frame, [{ box: { x: 100, y: 50, w: 40, h: 30 }, type: 'hotspot' }]);
    // stroke = max(2, round(160 / 160)) = 2, pad 4: the outline is centred on x = 96 and y = 46.
    expect(px(out, 96, 60)).toEqual([0xff, 0x3b, 0x30]);
    expect(px(out, 120, 46)).toEqual([0xff, 0x3b, 0x30]);
    expect(px(out, 144, 60)).toEqual([0xff, 0x3b, 0x30]);
    expect(px(out, 120, 84)).toEqual([0xff, 0x3b, 0x30]);
    expect(px(out, 120, 65)).toEqual([50, 50, 50]); // inside: the target stays visible
    expect(px(out, 90, 60)).toEqual([50, 50, 50]);
    expect(px(frame, 96, 60)).toEqual([50, 50, 50]);
  });

  it('clips boxes at the frame edge without throwing', () => {
    const out = drawBoxes(grey(), [{ box: { x: 300, y: 150, w: 50, h: 50 }, type: 'smoke' }]);
    expect(px(out, 296, 155)).toEqual([0x00, 0xe5, 0xff]);
    expect(out.data.length).toBe(W * H * 3);
  });

  it('matches the SVG overlay geometry (same rectangle)', () => {
    const svg = boxesSvg(W, H, [{ box: { x: 100, y: 50, w: 40, h: 30 }, type: 'hotspot' }]);
    expect(svg).toContain('x="96" y="46" width="48" height="38"');
  });
});

describe('renderSnapshot', () => {
  it('encodes a JPEG of the frame size with the box drawn', async () => {
    const jpg = await renderSnapshot(grey(), [{ box: { x: 100, y: 50, w: 40, h: 30 }, type: 'hotspot' }]);
    const { data, info } = await sharp(jpg).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([W, H]);
    const [r, g] = [data[(60 * W + 96) * 3]!, data[(60 * W + 96) * 3 + 1]!];
    expect(r).toBeGreaterThan(150); // the red outline survives JPEG (chroma subsampling softens a 2 px line)
    expect(r - g).toBeGreaterThan(80);
    expect(data[(65 * W + 120) * 3]!).toBeLessThan(70);
  });
});
