import { ResourceNotFoundException, ServiceUnavailableException, ThrottlingException } from '@aws-sdk/client-eks';
import { ThrottlingException as PricingThrottlingException } from '@aws-sdk/client-pricing';
import { ApplicationFailure } from '@temporalio/common';
import { classifyError } from '../../../src/aws/errors';
import {
  ConflictError,
  ErrorType,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
  failureDetails,
  failureType,
  toApplicationFailure,
} from '../../../src/errors';

/** The SDK's own exception classes, as its deserializers build them from an answer. */
const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'r-1', attempts: 1, totalRetryDelay: 0 });

describe('the AWS error classifier', () => {
  it('keeps the AWS code, status and request id of a retryable throttling error', () => {
    const sdk = new ThrottlingException({ message: 'Rate exceeded', $metadata: meta(429) });
    const e = classifyError(sdk, 'DescribeNodegroup a/b/c/d');
    expect(e).toBeInstanceOf(ThrottledError);
    expect((e as ThrottledError).details).toEqual({
      awsCode: 'ThrottlingException',
      httpStatus: 429,
      requestId: 'r-1',
    });
    expect((e as Error).message).toBe('DescribeNodegroup a/b/c/d: ThrottlingException: Rate exceeded');
    expect((e as Error).cause).toBe(sdk);
    const failure = toApplicationFailure(e as ThrottledError, 'describeNodegroup');
    expect(failure).toMatchObject({
      type: ErrorType.Throttled,
      nonRetryable: false,
      details: [{ awsCode: 'ThrottlingException' }],
    });
    expect(failureType(failure)).toBe(ErrorType.Throttled);
    expect(failureDetails(failure).httpStatus).toBe(429);
  });

  it('maps each kind of answer to one failure type', () => {
    expect(
      classifyError(new PricingThrottlingException({ message: 'slow down', $metadata: meta(400) }), 'x'),
    ).toBeInstanceOf(ThrottledError);
    expect(
      classifyError(new ServiceUnavailableException({ message: 'down', $metadata: meta(503) }), 'x'),
    ).toBeInstanceOf(UnavailableError);
    expect(classifyError(new ResourceNotFoundException({ message: 'gone', $metadata: meta(404) }), 'x')).toBeInstanceOf(
      NotFoundError,
    );
    const query = (name: string, status: number) =>
      Object.assign(new Error(name), { name, $fault: 'client', $metadata: meta(status) });
    expect(classifyError(query('ValidationError', 400), 'x')).toBeInstanceOf(ValidationError);
    expect(classifyError(query('InvalidParameterValue', 400), 'x')).toBeInstanceOf(ValidationError);
    expect(classifyError(query('RequestLimitExceeded', 503), 'x')).toBeInstanceOf(ThrottledError);
    expect(classifyError(query('IdempotentParameterMismatch', 400), 'x')).toBeInstanceOf(ConflictError);
    expect(classifyError(query('ScalingActivityInProgress', 400), 'x')).toBeInstanceOf(UnavailableError);
    expect(
      classifyError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'x'),
    ).toBeInstanceOf(UnavailableError);
  });

  it('passes eksflow errors, ApplicationFailures and plain bugs through unchanged', () => {
    const v = new ValidationError('bad');
    const f = ApplicationFailure.nonRetryable('x', 'Other');
    const bug = new TypeError('undefined is not a function');
    expect(classifyError(v, 'x')).toBe(v);
    expect(classifyError(f, 'x')).toBe(f);
    expect(classifyError(bug, 'x')).toBe(bug);
  });
});
