# eksflow worker / ingress / CLI image: compiled JavaScript and a prebuilt workflow bundle, no tsx.
# Build stage: every dependency, `npm run build` (tsc -p tsconfig.build.json → dist/, then
# bundleWorkflowCode → dist/workflow-bundle.js, which the worker loads instead of bundling at start).
# Runtime stage: `npm ci --omit=dev` (no @temporalio/testing, jest, eslint, typescript, tsx) and
# dist/ only. Not in the build context (.dockerignore): src/sandbox (the local sandbox), test/,
# scripts/ except the build script. test/unit/image-contents.test.ts checks that the code the image
# runs imports nothing outside it.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/build.ts
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY schedules ./schedules
RUN npm run build

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
USER node
# Metrics (eksflow's and the Temporal SDK's) on EKSFLOW_METRICS_PORT when set (deploy sets 9464).
EXPOSE 9464
# Default: a worker. The ingress (node dist/src/ingress/main.js) and the schedules job
# (node dist/src/cli/main.js schedules apply) override the command (docker-compose.yml, Helm chart).
CMD ["node", "dist/src/worker.js"]
