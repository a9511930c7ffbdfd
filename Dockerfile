# One image for every sluice process; the command picks the role:
#   sluice api | sluice worker --role scheduler | sluice worker --role run | sluice worker --role apply
# Configuration comes from the environment only (README "Configuration"). The image holds the
# compiled JavaScript (`npm run build`, made in the build stage) and the production node_modules: the CLI
# starts from dist/ without compiling anything, and the scheduler bundles dist/workflows/index.js when it
# starts. No TypeScript sources and no Temporal binaries: those are for `sluice dev` and tests.
# Debian (glibc), not Alpine: DuckDB's prebuilt binary in @duckdb/node-api is built for glibc.
# There is no HEALTHCHECK here because roles differ: workers answer GET /healthz and /readyz on
# SLUICE_HEALTH_PORT, the API GET /api/health on its port; docker-compose.yml and deploy/kubernetes/
# set one per service.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY scripts/build.mjs ./scripts/build.mjs
COPY cli ./cli
COPY api ./api
COPY core ./core
COPY crypto ./crypto
COPY db ./db
COPY activities ./activities
COPY artifacts ./artifacts
COPY state ./state
COPY engines ./engines
COPY config ./config
COPY workflows ./workflows
COPY workers ./workers
COPY web ./web
RUN npm run build

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    SLUICE_API_HOST=0.0.0.0 \
    SLUICE_HEALTH_PORT=9090
RUN groupadd --system --gid 10001 sluice \
 && useradd --system --uid 10001 --gid sluice --home-dir /home/sluice --create-home \
      --shell /usr/sbin/nologin sluice \
 && install -d -o sluice -g sluice -m 0700 /var/lib/sluice
WORKDIR /app
# Owned by root and read-only to the sluice user: the process cannot change its own code.
COPY --from=deps /app/node_modules ./node_modules
# bin/sluice.js runs dist/ (no source is there to be newer than it)
COPY package.json ./
COPY bin ./bin
COPY --from=build /app/dist ./dist
COPY deploy/bootstrap-admin-token.sh ./deploy/bootstrap-admin-token.sh
USER 10001:10001
EXPOSE 8787 9090
ENTRYPOINT ["node", "bin/sluice.js"]
CMD ["--help"]
