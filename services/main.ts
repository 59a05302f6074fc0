/**
 * `npm start`: runs TowerWatch on the embedded default (demo site, SQLite under ./data) unless told otherwise.
 * Environment: TOWERWATCH_CONFIG_DIR, TOWERWATCH_DATA_DIR, TOWERWATCH_DATABASE_URL (PostgreSQL instead of the
 * embedded SQLite), TOWERWATCH_DEMO_RTSP_PORT, PORT, HOST, LOG_LEVEL.
 */
import path from 'node:path';
import { ConfigError } from './config/loadConfig.ts';
import { DispatchConfigError } from './dispatch/config.ts';
import { REPO_ROOT, startTowerWatch } from './runtime.ts';
import { createLogger } from './util/logger.ts';

const log = createLogger();
const env = process.env;

try {
  const rt = await startTowerWatch({
    configDir: path.resolve(env['TOWERWATCH_CONFIG_DIR'] ?? path.join(REPO_ROOT, 'camera-config', 'demo')),
    dataDir: path.resolve(env['TOWERWATCH_DATA_DIR'] ?? path.join(REPO_ROOT, 'data')),
    port: Number(env['PORT'] ?? 8080),
    host: env['HOST'] ?? '0.0.0.0',
    ...(env['TOWERWATCH_DATABASE_URL'] ? { databaseUrl: env['TOWERWATCH_DATABASE_URL'] } : {}),
    ...(env['TOWERWATCH_DEMO_RTSP_PORT'] ? { demoRtspPort: Number(env['TOWERWATCH_DEMO_RTSP_PORT']) } : {}),
    log,
  });
  log.info({ listen: rt.url }, `TowerWatch is running: open ${rt.url}`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    rt.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (e) {
  if (e instanceof ConfigError || e instanceof DispatchConfigError) {
    log.fatal(e.message);
    process.stderr.write(`\n${e.message}\n`); // readable for a person at a terminal, not only as a JSON log line
    process.exit(78); // EX_CONFIG
  }
  log.fatal({ err: (e as Error).message }, 'TowerWatch failed to start');
  process.stderr.write(`\nTowerWatch failed to start: ${(e as Error).message}\n`);
  process.exit(1);
}
