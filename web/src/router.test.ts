import { describe, expect, it } from 'vitest';
import { parseRoute, pathOf, type Route } from './router.ts';

describe('router', () => {
  it('parses the console routes', () => {
    expect(parseRoute('/')).toEqual({ name: 'console' });
    expect(parseRoute('/cases')).toEqual({ name: 'board' });
    expect(parseRoute('/cases/case_1')).toEqual({ name: 'case', id: 'case_1' });
    expect(parseRoute('/alerts/a%2Fb')).toEqual({ name: 'alert', id: 'a/b' });
    expect(parseRoute('/office')).toEqual({ name: 'office' });
    expect(parseRoute('/nope/x/y')).toEqual({ name: 'notFound' });
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
      { name: 'case', id: 'case_x' },
      { name: 'alert', id: 'a b' },
      { name: 'login', next: '/office' },
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
