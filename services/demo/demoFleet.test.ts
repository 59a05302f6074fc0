import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigDir } from '../config/loadConfig.ts';
import { demoCameraPlaying } from './demoFleet.ts';

const demo = loadConfigDir(path.resolve(import.meta.dirname, '../../camera-config/demo'));

describe('demoCameraPlaying', () => {
  it('finds the demo camera whose mount plays a clip, by file name', () => {
    expect(demoCameraPlaying(demo, 'hpwren-figlib-1528757406.mp4')?.id).toBe('tower-03-visible');
    expect(demoCameraPlaying(demo, 'thermal-siteE-tau.mp4')?.id).toBe('tower-02-thermal');
  });

  it('gives the masked mast of tower-03 (the end-to-end checks rely on it)', () => {
    expect(demoCameraPlaying(demo, 'hpwren-figlib-1528757406.mp4')?.masks).toHaveLength(1);
  });

  it('is undefined for a clip no stream plays, a config without a demo server, or a mount no camera reads', () => {
    expect(demoCameraPlaying(demo, 'hpwren-cloud-haze-negatives.mp4')).toBeUndefined();
    expect(demoCameraPlaying({ ...demo, demo: null }, 'hpwren-figlib-1528757406.mp4')).toBeUndefined();
    const noCamera = { ...demo, cameras: demo.cameras.filter((c) => c.id !== 'tower-03-visible') };
    expect(demoCameraPlaying(noCamera, 'hpwren-figlib-1528757406.mp4')).toBeUndefined();
  });

  it('matches the whole mount path, not a prefix of it', () => {
    const cameras = demo.cameras.map((c) =>
      c.id === 'tower-03-visible' ? { ...c, url: 'rtsp://127.0.0.1:8554/tower-03-visible-sub' } : c,
    );
    expect(demoCameraPlaying({ ...demo, cameras }, 'hpwren-figlib-1528757406.mp4')).toBeUndefined();
  });
});
