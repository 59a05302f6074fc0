import { describe, expect, it } from 'vitest';
import { parseRoute, pathOf, type Route } from './router.ts';

describe('router', () => {
  it('parses the console routes', () => {
    expect(parseRoute('/')).toEqual({ name: 'console' });
    expect(parseRoute('/cases')).toEqual({ name: 'board' });
    expect(parseRoute('/cases/case_1')).toEqual({ name: 'case', id: 'case_1' });
    expect(parseRoute('/alerts/a%2Fb')).toEqual({ name: 'alert', id: 'a/b' });
    expect(parseRoute('/office')).toEqual({ name: 'office' });
    expect(parseRoute('/dashboard')).toEqual({ name: 'dashboard' });
    expect(parseRoute('/nope/x/y')).toEqual({ name: 'notFound' });
  });

  it('parses the video wall (per-panel settings in the query) and the map', () => {
    expect(parseRoute('/wall', '?panel=3&layout=9&dwell=30')).toEqual({
      name: 'wall',
      params: { panel: 3, layout: 9, dwellS: 30 },
    });
    expect(parseRoute('/wall')).toEqual({ name: 'wall', params: { panel: 1, layout: 4, dwellS: 15 } });
    expect(parseRoute('/map')).toEqual({ name: 'map' });
    expect(parseRoute('/map/x')).toEqual({ name: 'notFound' });
  });

  it('parses the dispatch admin pages', () => {
    expect(parseRoute('/admin/departments')).toEqual({ name: 'adminDispatch', section: 'departments' });
    expect(parseRoute('/admin')).toEqual({ name: 'adminCameras' });
    expect(parseRoute('/admin/')).toEqual({ name: 'adminCameras' });
    expect(parseRoute('/admin/zones')).toEqual({ name: 'adminDispatch', section: 'zones' });
    expect(parseRoute('/admin/rules')).toEqual({ name: 'adminDispatch', section: 'rules' });
    expect(parseRoute('/admin/sla')).toEqual({ name: 'adminDispatch', section: 'sla' });
    expect(parseRoute('/admin/users')).toEqual({ name: 'adminDispatch', section: 'users' });
    expect(parseRoute('/admin/nope')).toEqual({ name: 'notFound' });
    expect(parseRoute('/admin/rules/x')).toEqual({ name: 'notFound' });
  });

  it('parses the camera admin routes', () => {
    expect(parseRoute('/admin/cameras')).toEqual({ name: 'adminCameras' });
    expect(parseRoute('/admin/cameras/tower-02-thermal')).toEqual({
      name: 'adminCamera',
      id: 'tower-02-thermal',
    });
    expect(parseRoute('/admin/cameras/a/b')).toEqual({ name: 'notFound' });
  });

  it('login keeps only same-site "next" paths', () => {
    expect(parseRoute('/login', '?next=%2Fcases%2Fc1')).toEqual({ name: 'login', next: '/cases/c1' });
    expect(parseRoute('/login', '?next=https://evil.example')).toEqual({ name: 'login', next: null });
    expect(parseRoute('/login', '?next=//evil.example')).toEqual({ name: 'login', next: null });
  });

  it('pathOf is the inverse of parseRoute', () => {
    const routes: Route[] = [
      { name: 'console' },
      { name: 'board' },
      { name: 'office' },
      { name: 'dashboard' },
      { name: 'case', id: 'case_x' },
      { name: 'alert', id: 'a b' },
      { name: 'login', next: '/office' },
      { name: 'wall', params: { panel: 6, layout: 16, dwellS: 60 } },
      { name: 'map' },
      { name: 'adminDispatch', section: 'zones' },
      { name: 'adminDispatch', section: 'users' },
      { name: 'adminCameras' },
      { name: 'adminCamera', id: 'cam 1' },
    ];
    for (const r of routes) {
      const p = pathOf(r);
      const i = p.indexOf('?');
      expect(parseRoute(i < 0 ? p : p.slice(0, i), i < 0 ? '' : p.slice(i))).toEqual(r);
    }
  });
});
