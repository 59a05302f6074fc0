import { describe, expect, it } from 'vitest';
import { CameraConfig, type DetectionType } from '../schemas/config.ts';
import { captureOutputSize } from '../capture/ffmpegArgs.ts';
import { frameNeedsFor, type Detector } from './detectLoop.ts';
import { DustDetector } from './dustDetector.ts';
import { DustParams } from './dust.ts';

const det = (
  name: string,
  type: DetectionType,
  inputSize?: { width: number; height: number },
  mode?: 'auto' | 'always' | 'never',
): Detector => ({
  spec: { name, type, ...(inputSize ? { inputSize } : {}), ...(mode ? { tiling: { mode } } : {}) },
  detect: () => Promise.reject(new Error('not used')),
});

const cam = (over: Record<string, unknown>) =>
  CameraConfig.parse({ id: 'c', name: 'c', url: 'rtsp://h/x', channel: 'visible', ...over });

describe('frameNeedsFor', () => {
  const smoke = det('smoke', 'smoke', { width: 640, height: 480 }, 'never');
  const hotspot = det('hotspot', 'hotspot', { width: 320, height: 256 }, 'auto');
  const detectors = new Map<DetectionType, Detector>([
    ['smoke', smoke],
    ['hotspot', hotspot],
  ]);

  it('lists each used model once, whole-frame models without native scale', () => {
    expect(frameNeedsFor(cam({ detectors: ['smoke'] }), detectors)).toEqual([
      { input: { width: 640, height: 480 }, nativeScale: false },
    ]);
  });

  it('includes preset detectors and marks tiling models as native scale', () => {
    const c = cam({
      detectors: ['smoke'],
      presets: [{ id: 'p1', name: 'p1', detectors: ['hotspot'] }],
    });
    expect(frameNeedsFor(c, detectors)).toEqual([
      { input: { width: 640, height: 480 }, nativeScale: false },
      { input: { width: 320, height: 256 }, nativeScale: true },
    ]);
  });

  it('treats a detector without a declared input as needing native frames', () => {
    const d = new Map<DetectionType, Detector>([['smoke', det('fake', 'smoke')]]);
    expect(frameNeedsFor(cam({ detectors: ['smoke'] }), d)[0]?.nativeScale).toBe(true);
    expect(frameNeedsFor(cam({ detectors: ['dust'] }), d)).toEqual([]);
  });

  it('lets a smoke + dust camera be downscaled to the smoke model size (dust works at its workWidth)', () => {
    const dust = new DustDetector({ name: 'dust', threshold: 0.2, params: DustParams.parse({}) });
    const d = new Map<DetectionType, Detector>([
      ['smoke', smoke],
      ['dust', dust],
    ]);
    const needs = frameNeedsFor(cam({ detectors: ['smoke', 'dust'] }), d);
    expect(needs).toEqual([
      { input: { width: 640, height: 480 }, nativeScale: false },
      { input: { width: 320, height: 0 }, nativeScale: false },
    ]);
    expect(captureOutputSize({ width: 1920, height: 1080 }, needs)).toEqual({ width: 854, height: 480 });
  });
});
