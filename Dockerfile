# eksflow worker / ingress image. TypeScript runs through tsx (a runtime dependency), so the
# image is the source plus production node_modules; no separate build step to drift from.
# Not in the image (.dockerignore): src/sandbox (the local sandbox), test/, scripts/; and no
# devDependencies (@temporalio/testing, jest, eslint, typescript…): `npm ci --omit=dev`.
# test/unit/image-contents.test.ts checks that the code the image runs imports none of them.
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
