# GitLab CI for Bitbucket: a production image. Build: docker build -t gl4bb .
# Run:   docker run -p 3000:3000 -e NODE_ENV=production -e AC_LOCAL_BASE_URL=https://… \
#          -e DATABASE_URL=postgres://… -e ENCRYPTION_KEY=… gl4bb
FROM node:20-bookworm-slim AS build
WORKDIR /app
# sqlite3 builds from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json atlassian-connect.json config.json ./
COPY src ./src
COPY scripts ./scripts
COPY test ./test
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /app
# Push sync runs Debian's git (2.39) in child processes; the slim image has none.
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json atlassian-connect.json config.json ./
COPY views ./views
COPY public ./public
USER node
EXPOSE 3000
# ACE reads atlassian-connect.json and config.json from the working directory.
CMD ["node", "dist/src/server.js"]
