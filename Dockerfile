# GitLab CI for Bitbucket: a production image. Build: docker build -t gl4bb .
# Run:   docker run -p 3000:3000 -v gl4bb-data:/app/data -e AC_LOCAL_BASE_URL=https://… \
#          -e DATABASE_URL=postgres://… -e ENCRYPTION_KEY=… gl4bb
# Written and reviewed without a Docker engine (none on the machine it was written on): build it before
# trusting it.

# Node 24 is the active LTS; Node 20 reached its end of life in April 2026.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# sqlite3 builds from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Only what the production build compiles (tsconfig.build.json): the app and its two operator scripts.
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/migrate.ts scripts/rotate-key.ts ./scripts/
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# Push sync runs Debian's git binary (bookworm: 2.39; `git merge-tree --write-tree` needs ≥ 2.38) in child
# processes, not a JavaScript reimplementation; the slim image has none. ca-certificates for its HTTPS.
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
# DATA_DIR holds the default SQLite file (DATABASE_URL unset); push sync keeps its git cache
# under it too (DATA_DIR/git-cache). One volume keeps it across restarts; set DATABASE_URL to use PostgreSQL instead.
ENV NODE_ENV=production PORT=3000 DATA_DIR=/app/data
# V8's heap, capped. The app's live heap at 200 events/s is tens of MB, but with a 24 GB host's default
# limit V8 let the old generation grow to 187-209 MB before collecting it (RSS 290-340 MB); with this cap
# the bench measured RSS 169-176 MB under the same load, for 1-4% more CPU in all (V8's helper threads
# marking more often; issue 16, README "Benchmark"). Raise it for very large installations:
# docker run -e NODE_OPTIONS=--max-old-space-size=512 ...
ENV NODE_OPTIONS="--max-old-space-size=256"
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json atlassian-connect.json config.json ./
COPY views ./views
COPY public ./public
# The app's code stays root-owned and read-only to it; only the data folder is the node user's. It is
# created before VOLUME so a fresh named volume starts out owned by node.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME /app/data
USER node
EXPOSE 3000
# Slim images have no curl: Node's own fetch asks /healthz (the database answers).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# ACE reads atlassian-connect.json and config.json from the working directory. Operator scripts run
# compiled, without dev dependencies: docker run … gl4bb node dist/scripts/migrate.js up|down|status
# and docker run … gl4bb node dist/scripts/rotate-key.js
CMD ["node", "dist/src/server.js"]
