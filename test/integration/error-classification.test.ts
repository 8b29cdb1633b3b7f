import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../../src/aws/clients';
import { ErrorType } from '../../src/errors';
import { createActivities } from '../../activities';
import { withErrorClassification } from '../../activities/classify';
import { readMetric } from '../../activities/gateways/cloudwatch';
import type { FailureProbeResult } from '../support/test-workflows';
import {
  connectDevServer,
  motoEndpoint,
  startTestWorker,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';

/**
 * Real AWS SDK errors, from moto over HTTP and from a local server that answers as EKS does when it
 * throttles or is unavailable, go through the one classifier; a workflow on the dev server runs the
 * activity once and reports the failure type it sees in the ActivityFailure's cause.
 */
describe('AWS errors reach workflows as eksflow failure types', () => {
  const target = { accountId: '444444444444', region: 'us-east-1' };
  const config = testConfig({
    clusters: [
      {
        name: uniqueName('it-err'),
        ...target,
        nodegroups: [
          {
            name: 'ng',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: 1, max: 2 },
            offHours: { min: 0, desired: 0, max: 2 },
          },
        ],
      },
    ],
  });
  const taskQueue = uniqueName('it-errors');
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  let eksLike: Server;
  let answer: { status: number; code: string; message: string };

  /** Answers every request the way EKS (restJson1) answers an error: status, x-amzn-errortype, JSON body. */
  function startEksLike(): Promise<string> {
    eksLike = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(answer.status, {
          'content-type': 'application/json',
          'x-amzn-errortype': answer.code,
          'x-amzn-requestid': 'req-123',
        });
        res.end(JSON.stringify({ message: answer.message }));
      });
    });
    return new Promise((resolve) =>
      eksLike.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(eksLike.address() as AddressInfo).port}`)),
    );
  }

  beforeAll(async () => {
    const eksLikeUrl = await startEksLike();
    stack = await connectDevServer();
    const single = (endpoint: string) =>
      new AwsClientFactory({ endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
    worker = await startTestWorker({
      connection: stack.nativeConnection,
      client: stack.client,
      taskQueue,
      config,
      aws: single(motoEndpoint()),
      extra: (deps) => ({
        activities: {
          ...createActivities(deps),
          // The production activity, pointed at a server that throttles / is unavailable / refuses connections.
          describeNodegroupAtEksLike: createActivities({ ...deps, aws: single(eksLikeUrl) }).describeNodegroup,
          describeNodegroupAtClosedPort: createActivities({ ...deps, aws: single('http://127.0.0.1:9') })
            .describeNodegroup,
          // The CloudWatch gateway asked for an impossible window: moto answers ValidationException.
          ...withErrorClassification({
            readMetricBackwards: async () =>
              readMetric(
                deps.aws.cloudwatch(target),
                { namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions: [], stat: 'Average' },
                300,
                new Date(),
                new Date(Date.now() - 3_600_000),
              ),
          }),
        },
      }),
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
    await new Promise((resolve) => eksLike?.close(resolve));
  });

  const probe = (activity: string, args: unknown[] = []): Promise<FailureProbeResult> =>
    stack.client.workflow.execute('failureProbe', {
      taskQueue,
      workflowId: uniqueName(`probe-${activity}`),
      args: [{ activity, args }],
    });
  const ref = (cluster: string) => ({ target, cluster, nodegroup: 'ng' });

  it('a node group that does not exist in moto is NotFoundError, not retried, with the AWS code kept', async () => {
    const r = await probe('describeNodegroup', [ref(uniqueName('no-such-cluster'))]);
    expect(r).toMatchObject({
      failed: true,
      wrapper: 'ActivityFailure',
      causeType: ErrorType.NotFound,
      type: ErrorType.NotFound,
      nonRetryable: true,
    });
    expect(r.details).toMatchObject({ awsCode: 'ResourceNotFoundException', httpStatus: 404 });
    expect(r.message).toMatch(
      /^describeNodegroup: DescribeNodegroup 444444444444\/us-east-1\/no-such-cluster-.*\/ng: ResourceNotFoundException: /,
    );
  });

  it('an invalid parameter answer from moto is ValidationError, not retried', async () => {
    const r = await probe('readMetricBackwards');
    expect(r).toMatchObject({ failed: true, causeType: ErrorType.Validation, nonRetryable: true });
    expect(r.details).toMatchObject({ awsCode: 'ValidationException', httpStatus: 400 });
    expect(r.message).toMatch(/GetMetricData AWS\/EC2\/CPUUtilization: ValidationException: .*EndTime/);
  });

  it('bad input is a ValidationError before any AWS call', async () => {
    const r = await probe('describeNodegroup', [
      { target: { accountId: '12', region: 'us-east-1' }, cluster: 'c', nodegroup: 'ng' },
    ]);
    expect(r).toMatchObject({ causeType: ErrorType.Validation, nonRetryable: true });
    expect(r.message).toMatch(/invalid input: target\.accountId: accountId must be 12 digits/);
  });

  it('EKS throttling (HTTP 429 ThrottlingException) is ThrottledError: retryable, with the code, status and request id', async () => {
    answer = { status: 429, code: 'ThrottlingException', message: 'Rate exceeded' };
    const r = await probe('describeNodegroupAtEksLike', [ref('prod')]);
    expect(r).toMatchObject({
      failed: true,
      causeType: ErrorType.Throttled,
      type: ErrorType.Throttled,
      nonRetryable: false,
    });
    expect(r.details).toMatchObject({ awsCode: 'ThrottlingException', httpStatus: 429, requestId: 'req-123' });
    expect(r.message).toBe(
      'describeNodegroup: DescribeNodegroup 444444444444/us-east-1/prod/ng: ThrottlingException: Rate exceeded',
    );
  });

  it('EKS ServiceUnavailableException (503) is UnavailableError: retryable, code kept', async () => {
    answer = { status: 503, code: 'ServiceUnavailableException', message: 'Service is unavailable' };
    const r = await probe('describeNodegroupAtEksLike', [ref('prod')]);
    expect(r).toMatchObject({ causeType: ErrorType.Unavailable, nonRetryable: false });
    expect(r.details).toMatchObject({ awsCode: 'ServiceUnavailableException', httpStatus: 503 });
  });

  it('an access-denied answer is AccessDeniedError, not retried', async () => {
    answer = {
      status: 403,
      code: 'AccessDeniedException',
      message: 'User is not authorized to perform eks:DescribeNodegroup',
    };
    const r = await probe('describeNodegroupAtEksLike', [ref('prod')]);
    expect(r).toMatchObject({ causeType: ErrorType.AccessDenied, nonRetryable: true });
    expect(r.details).toMatchObject({ awsCode: 'AccessDeniedException', httpStatus: 403 });
  });

  it('an endpoint that refuses connections is UnavailableError: retryable', async () => {
    const r = await probe('describeNodegroupAtClosedPort', [ref('prod')]);
    expect(r).toMatchObject({ causeType: ErrorType.Unavailable, nonRetryable: false });
    expect(r.details?.awsCode).toBe('ECONNREFUSED');
  });
});
