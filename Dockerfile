# syntax=docker/dockerfile:1
# salve, the production image: built with a toolchain, run on a slim Node.js LTS as a non-root user.
#
#   docker build -t salve:0.1.0 .
#   docker run --read-only -p 9095:9095 -v salve-data:/data salve:0.1.0
#
# Only /data is written (SQLite and, on a first start without a tokens file, the generated token's digest),
# so the root filesystem can be read-only. No secret is baked in: tokens come from SALVE_TOKENS_FILE (a
# mounted Secret) or are generated on first start.

# Node.js 22 LTS: satisfies package.json's engines (>=20.19) and better-sqlite3 12's supported versions.
ARG NODE_IMAGE=node:22-bookworm-slim

# better-sqlite3 is a native addon: when no prebuilt binary fits, npm compiles it, which needs these.
FROM ${NODE_IMAGE} AS toolchain
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./

FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The operator console (web/) is bundled into dist/console by the same build.
COPY web ./web
RUN npm run build

# Production dependencies only, compiled against the same Node.js as the runtime stage.
FROM toolchain AS prod-deps
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS production
LABEL org.opencontainers.image.title="salve" \
  org.opencontainers.image.description="Verified, auditable automatic remediation for Prometheus Alertmanager alerts" \
  org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
  SALVE_LISTEN=0.0.0.0:9095 \
  SALVE_DATA_DIR=/data \
  SALVE_POLICIES=/etc/salve/policies
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY policies /etc/salve/policies
# The node user (uid 1000) comes with the image; a numeric USER lets Kubernetes check runAsNonRoot.
RUN mkdir -p /data && chown 1000:1000 /data
USER 1000:1000
VOLUME ["/data"]
EXPOSE 9095
# No curl in slim images: node asks /healthz on the port SALVE_LISTEN names.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const p=(process.env.SALVE_LISTEN||'').split(':').pop()||'9095';fetch('http://127.0.0.1:'+p+'/healthz').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The built CLI itself (executable, package.json's bin): its first line starts node with the young generation
# salve is measured with, which a memory limit would otherwise shrink (see src/main.ts). NODE_OPTIONS passed
# to the container come after it, so an operator's --max-semi-space-size wins.
ENTRYPOINT ["/app/dist/src/main.js"]
CMD ["serve"]
