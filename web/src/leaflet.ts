/**
 * Leaflet for the admin map, with its CSS bundled locally (no CDN). The geoman drawing plugin reads the
 * global `L`, so this module sets it before `AreaMap` imports the plugin (imports run in order).
 */
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';

(globalThis as unknown as { L: typeof L }).L = L;

export default L;
