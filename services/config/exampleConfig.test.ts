import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigDir } from './loadConfig.ts';

describe('camera-config/example-district', () => {
  it('is a valid 16-camera site with PTZ presets and patrol tours', () => {
    const cfg = loadConfigDir(path.resolve(import.meta.dirname, '../../camera-config/example-district'));
    expect(cfg.cameras).toHaveLength(16);
    expect(cfg.demo).toBeNull();
    for (const c of cfg.cameras) {
      expect(c.presets.length).toBeGreaterThanOrEqual(2);
      expect(c.tours.length).toBeGreaterThanOrEqual(1);
      expect(c.url).not.toMatch(/@/); // credentials come from the environment
      expect(c.auth?.passwordEnv).toMatch(/^CAM_\d\d_PASSWORD$/);
    }
  });
});
