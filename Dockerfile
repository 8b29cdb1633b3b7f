# eksflow worker / ingress image. TypeScript runs through tsx (a runtime dependency), so the
# image is the source plus production node_modules; no separate build step to drift from.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY schedules ./schedules
USER node
# Default: a worker. The ingress and the schedules job override the command (docker-compose.yml).
CMD ["npx", "tsx", "src/worker.ts"]
