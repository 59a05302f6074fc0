/**
 * Synthetic dust plumes and weather for validating the physics-based dust detector (services/detect/dust.ts).
 * Pure image operations on RGB24 frames; used by scripts/models/dust_synth.ts, `npm run eval`,
 * test/medium/dustSynth.test.ts and the unit tests.
 *
 * Compositing follows Koschmieder's law I = J·t + A·(1 − t) (He et al., CVPR 2009, eq. 1) with a spatially
 * smooth transmission map t = 1 − opacity·m(x, y), m a plume-shaped blob in 0..1.
 */
import type { RgbImage } from '../../services/capture/ppmStream.ts';

/** Small deterministic PRNG (mulberry32), uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal sample (Box–Muller). */
export function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export const cloneImage = (img: RgbImage): RgbImage => ({
  width: img.width,
  height: img.height,
  data: Buffer.from(img.data),
});

/** A plume's footprint: bounding box in frame px. */
export interface PlumeGeometry {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Plume-shaped density map m ∈ [0, 1] (frame size): a column rising from the bottom centre of `g`, widening
 * upward, made of `puffs` overlapping Gaussian puffs with random jitter (smooth, no hard edges).
 */
export function plumeMap(width: number, height: number, g: PlumeGeometry, r: () => number, puffs = 7): Float32Array {
  const m = new Float32Array(width * height);
  const blobs: { x: number; y: number; sx: number; sy: number; a: number }[] = [];
  for (let k = 0; k < puffs; k++) {
    const f = puffs === 1 ? 0.5 : k / (puffs - 1); // 0 = ground, 1 = top
    const sx = (g.w / 2) * (0.35 + 0.4 * f) * (0.85 + 0.3 * r());
    const sy = (g.h / puffs) * 1.3 * (0.85 + 0.3 * r());
    blobs.push({
      x: g.x + g.w / 2 + (r() - 0.5) * g.w * 0.25 * f,
      y: g.y + g.h - sy - f * (g.h - 2 * sy),
      sx,
      sy,
      a: 0.75 + 0.25 * r(),
    });
  }
  const x0 = Math.max(0, Math.floor(g.x - g.w * 0.5)),
    x1 = Math.min(width, Math.ceil(g.x + g.w * 1.5));
  const y0 = Math.max(0, Math.floor(g.y - g.h * 0.5)),
    y1 = Math.min(height, Math.ceil(g.y + g.h * 1.5));
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      let v = 0;
      for (const b of blobs) v = Math.max(v, b.a * Math.exp(-0.5 * (((x - b.x) / b.sx) ** 2 + ((y - b.y) / b.sy) ** 2)));
      m[y * width + x] = v;
    }
  let max = 0;
  for (const v of m) max = Math.max(max, v);
  if (max > 0) for (let i = 0; i < m.length; i++) m[i] = m[i]! / max;
  return m;
}

/**
 * Koschmieder blend in place: I = J·t + A·(1 − t), t = 1 − opacity·m.
 * @param airlight sRGB 0..255 of the scattering medium (dust, smoke, fog).
 */
export function blendAirlight(img: RgbImage, m: Float32Array | null, opacity: number, airlight: readonly [number, number, number]): void {
  const d = img.data;
  for (let i = 0, p = 0; i < img.width * img.height; i++, p += 3) {
    const o = opacity * (m ? m[i]! : 1);
    if (o <= 0) continue;
    for (let c = 0; c < 3; c++) d[p + c] = Math.round(d[p + c]! * (1 - o) + airlight[c]! * o);
  }
}

/** Exposure / gain change in place: I = 255·(gain·J/255)^gamma, clipped. */
export function exposure(img: RgbImage, gain: number, gamma = 1): void {
  const d = img.data;
  for (let i = 0; i < d.length; i++) d[i] = Math.min(255, Math.round(255 * Math.pow(Math.min(1, (gain * d[i]!) / 255), gamma)));
}

/** Cloud shadow in place: I = J·(1 − (1 − k)·m), k the shadow's light fraction (e.g. 0.6). */
export function shadow(img: RgbImage, m: Float32Array, k: number): void {
  const d = img.data;
  for (let i = 0, p = 0; i < img.width * img.height; i++, p += 3) {
    const f = 1 - (1 - k) * m[i]!;
    if (f >= 1) continue;
    for (let c = 0; c < 3; c++) d[p + c] = Math.round(d[p + c]! * f);
  }
}

/** Large soft elliptic blob (cloud shadow footprint) centred at (cx, cy) with radii rx, ry, px. */
export function softEllipse(width: number, height: number, cx: number, cy: number, rx: number, ry: number): Float32Array {
  const m = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const q = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
      m[y * width + x] = q >= 1.6 ? 0 : q <= 0.6 ? 1 : (1.6 - q) / 1.0;
    }
  return m;
}

/** Additive Gaussian sensor noise in place (σ in grey levels). */
export function noise(img: RgbImage, sigma: number, r: () => number): void {
  const d = img.data;
  for (let i = 0; i < d.length; i++) d[i] = Math.max(0, Math.min(255, Math.round(d[i]! + sigma * gauss(r))));
}

/** Shifts the image content by (dx, dy) whole px (camera jitter), edge pixels repeated. */
export function shift(img: RgbImage, dx: number, dy: number): RgbImage {
  const { width: w, height: h } = img;
  const out = Buffer.alloc(img.data.length);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h - 1, Math.max(0, y - dy));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(w - 1, Math.max(0, x - dx));
      img.data.copy(out, (y * w + x) * 3, (sy * w + sx) * 3, (sy * w + sx) * 3 + 3);
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * A procedural test scene (for unit tests without real data): sky gradient over the top `skyFrac`, textured
 * ground (random blocks of vegetation/rock colours) below.
 */
export function proceduralScene(width: number, height: number, seed: number, skyFrac = 0.35): RgbImage {
  const r = rng(seed);
  const data = Buffer.alloc(width * height * 3);
  const block = 6;
  const pal: [number, number, number][] = [
    [70, 85, 50],
    [95, 100, 70],
    [120, 110, 90],
    [50, 60, 40],
    [140, 135, 120],
  ];
  const bw = Math.ceil(width / block);
  const blocks = Array.from({ length: bw * Math.ceil(height / block) }, () => pal[Math.floor(r() * pal.length)]!);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (y < height * skyFrac) {
        const f = y / (height * skyFrac);
        data[o] = 110 + 60 * f;
        data[o + 1] = 150 + 40 * f;
        data[o + 2] = 215 - 5 * f;
      } else {
        const c = blocks[Math.floor(y / block) * bw + Math.floor(x / block)]!;
        data[o] = c[0];
        data[o + 1] = c[1];
        data[o + 2] = c[2];
      }
    }
  return { width, height, data };
}

/** Dust airlight colours used for synthesis (sRGB 0..255), deliberately not the detector's reference colours. */
export const SYNTH_DUST_COLOURS: readonly (readonly [number, number, number])[] = [
  [214, 196, 160], // pale loess
  [196, 170, 128], // sand
  [178, 144, 104], // tan soil
  [160, 118, 84], // brown
  [190, 160, 135], // pinkish construction dust
];
/** Smoke / fog / cloud airlights (negatives). */
export const SYNTH_GREY_COLOURS: readonly (readonly [number, number, number])[] = [
  [200, 202, 208], // white smoke / fog
  [150, 152, 158], // grey smoke
  [225, 230, 240], // bright cloud
];
