# TowerWatch service image: Node 20 on Debian bookworm-slim, ffmpeg and the GStreamer RTSP server from apt.
FROM node:20-bookworm-slim

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg python3 python3-gi gir1.2-gst-rtsp-server-1.0 \
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav \
      gstreamer1.0-rtsp util-linux python3 make g++ curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npm run build:web && mkdir -p /app/data && chown -R node:node /app/data

USER node
ENV PORT=8080 TOWERWATCH_DATA_DIR=/app/data NODE_ENV=production
EXPOSE 8080
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/api/health || exit 1
# node itself is PID 1 (not npx/tsx, which do not forward SIGTERM to the service): services/main.ts shuts down
# cleanly on SIGTERM (docker stop)
CMD ["node", "--import", "tsx", "services/main.ts"]
