import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** web/ itself, wherever vite is started from (`vite build --config web/vite.config.ts` runs at the repo root). */
const root = fileURLToPath(new URL('.', import.meta.url));
const API_TARGET = process.env.TOWERWATCH_API ?? 'http://127.0.0.1:8080';

const proxy = {
  '/api': { target: API_TARGET, changeOrigin: true },
  '/socket.io': { target: API_TARGET, changeOrigin: true, ws: true },
};

export default defineConfig({
  root,
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // The chart library (lazy, dashboard only) in two chunks fetched in parallel, each under Vite's 500 kB
        // warning: ECharts itself and its renderer zrender.
        codeSplitting: {
          groups: [
            { name: 'zrender', test: /node_modules[\\/]zrender[\\/]/ },
            { name: 'echarts', test: /node_modules[\\/]echarts[\\/]/ },
          ],
        },
      },
    },
  },
  server: { proxy },
  preview: { proxy },
});
