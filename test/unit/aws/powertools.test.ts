import { type LambdaTelemetry, powertoolsTelemetry } from '../../../functions/aws/powertools';
import type { MetricName } from '../../../functions/ports/metrics';
import { lambdaContext } from '../../kit/lambda';
import { type CapturedOutput, captureOutput, type Line } from '../../kit/output';
import { RAW_UNSAFE } from '../../kit/unsafe';

const ENV = { POWERTOOLS_SERVICE_NAME: 'redeploy-under-test', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' };
const saved = Object.fromEntries(Object.keys(ENV).map((key) => [key, process.env[key]]));
let output: CapturedOutput;

beforeEach(() => {
  // Powertools reads its environment when it is built, as a Lambda container does at its start.
  Object.assign(process.env, ENV);
  output = captureOutput();
});

afterEach(() => {
  output.restore();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const telemetry = (silent = false) => powertoolsTelemetry({ namespace: 'redeploy-tests', silent });

/** A container past its first (cold) invocation, with what that invocation wrote forgotten. */
async function warm(): Promise<LambdaTelemetry> {
  const t = telemetry();
  await t.invocation(lambdaContext, async () => undefined);
  output.restore();
  output = captureOutput();
  return t;
}

const metricsOf = (doc: Line) => doc._aws.CloudWatchMetrics[0];

describe('the service name', () => {
  it('is ecs-secret-redeploy in logs and metrics when POWERTOOLS_SERVICE_NAME is not set, never service_undefined', async () => {
    delete process.env.POWERTOOLS_SERVICE_NAME;
    const t = telemetry();
    await t.invocation(lambdaContext, async () => {
      t.log.info('hello');
      t.metrics.add('ServicesRedeployed', 1);
    });
    expect(output.logs().map((line) => line.service)).toEqual(['ecs-secret-redeploy']);
    expect(output.emf().map((doc) => doc.service)).toEqual(['ecs-secret-redeploy', 'ecs-secret-redeploy']);
  });
});

describe('Powertools metrics (EMF)', () => {
  it('publishes what an invocation added as one EMF document: the namespace, the service dimension, each value', async () => {
    const t = await warm();
    await t.invocation(lambdaContext, async () => {
      t.metrics.add('ServicesRedeployed', 1);
      t.metrics.add('ServicesRedeployed', 1);
      t.metrics.add('SecondsFromChangeToDeploy', 42);
      t.metrics.add('DriftFound', 3);
    });

    const docs = output.emf();
    expect(docs).toHaveLength(1);
    expect(metricsOf(docs[0])).toEqual({
      Namespace: 'redeploy-tests',
      Dimensions: [['service']],
      Metrics: [
        { Name: 'ServicesRedeployed', Unit: 'Count' },
        { Name: 'SecondsFromChangeToDeploy', Unit: 'Seconds' },
        { Name: 'DriftFound', Unit: 'Count' },
      ],
    });
    expect(docs[0]).toMatchObject({
      service: 'redeploy-under-test',
      ServicesRedeployed: [1, 1],
      SecondsFromChangeToDeploy: 42,
      DriftFound: 3,
    });
    expect(docs[0]._aws.Timestamp).toEqual(expect.any(Number));
  });

  it('counts every metric except SecondsFromChangeToDeploy, which is in seconds', async () => {
    const t = await warm();
    const names: MetricName[] = [
      'ServicesRedeployed',
      'RedeployFailed',
      'RolloutHalted',
      'RolloutCompleted',
      'DriftFound',
      'SecondsFromChangeToDeploy',
    ];
    await t.invocation(lambdaContext, async () => {
      for (const name of names) t.metrics.add(name, 1);
    });
    const units = Object.fromEntries(metricsOf(output.emf()[0]).Metrics.map((m: Line) => [m.Name, m.Unit]));
    expect(units).toEqual({
      ServicesRedeployed: 'Count',
      RedeployFailed: 'Count',
      RolloutHalted: 'Count',
      RolloutCompleted: 'Count',
      DriftFound: 'Count',
      SecondsFromChangeToDeploy: 'Seconds',
    });
  });

  it("emits only Powertools' ColdStart metric on a container's first invocation that added nothing", async () => {
    await telemetry().invocation(lambdaContext, async () => undefined);
    const docs = output.emf();
    expect(docs).toHaveLength(1);
    expect(metricsOf(docs[0])).toEqual({
      Namespace: 'redeploy-tests',
      Dimensions: [['service', 'function_name']],
      Metrics: [{ Name: 'ColdStart', Unit: 'Count' }],
    });
    expect(docs[0]).toMatchObject({ ColdStart: 1, service: 'redeploy-under-test', function_name: 'ecs-secret-redeploy-test' });
    expect(output.lines()).toHaveLength(1);
  });

  it('writes nothing at all for a warm invocation that added no metric and logged nothing', async () => {
    const t = await warm();
    await t.invocation(lambdaContext, async () => undefined);
    expect(output.lines()).toEqual([]);
  });

  it('publishes each metric once: the next invocation starts empty', async () => {
    const t = await warm();
    await t.invocation(lambdaContext, async () => t.metrics.add('RolloutHalted', 1));
    await t.invocation(lambdaContext, async () => undefined);
    expect(output.emf().map((doc) => doc.RolloutHalted)).toEqual([1]);
  });

  it('leaves a value that is not a finite number out, with a warning, and keeps the others', async () => {
    const t = await warm();
    await t.invocation(lambdaContext, async () => {
      t.metrics.add('SecondsFromChangeToDeploy', Number.NaN);
      t.metrics.add('ServicesRedeployed', 1);
    });
    const [doc] = output.emf();
    expect(metricsOf(doc).Metrics).toEqual([{ Name: 'ServicesRedeployed', Unit: 'Count' }]);
    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'metric not recorded: its value is not a finite number',
        metric: 'SecondsFromChangeToDeploy',
        value: 'NaN',
      }),
    ]);
  });
});

describe('Powertools logger', () => {
  it('writes JSON lines with the level, message, service, the Lambda context and the fields as keys', async () => {
    const t = telemetry();
    await t.invocation(lambdaContext, async () => {
      t.log.info('report', { report: { secret: 'prod/db', services: 2 } });
      t.log.warn('index missing', { note: 'live scan' });
    });
    await t.invocation({ ...lambdaContext, awsRequestId: 'second-request' }, async () => t.log.info('again'));

    const context = {
      service: 'redeploy-under-test',
      function_name: 'ecs-secret-redeploy-test',
      function_arn: lambdaContext.invokedFunctionArn,
      function_memory_size: '512',
      sampling_rate: 0,
      timestamp: expect.any(String),
    };
    expect(output.logs()).toEqual([
      {
        level: 'INFO',
        message: 'report',
        ...context,
        cold_start: true,
        function_request_id: lambdaContext.awsRequestId,
        report: { secret: 'prod/db', services: 2 },
      },
      {
        level: 'WARN',
        message: 'index missing',
        ...context,
        cold_start: true,
        function_request_id: lambdaContext.awsRequestId,
        note: 'live scan',
      },
      { level: 'INFO', message: 'again', ...context, cold_start: false, function_request_id: 'second-request' },
    ]);
  });

  it('keeps a field named like a key Powertools writes itself, as field_<name>', async () => {
    const t = await warm();
    await t.invocation(lambdaContext, async () =>
      t.log.info('service re-indexed', { service: 'arn:aws:ecs:eu-west-1:111122223333:service/web/api', level: 3 }),
    );
    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        service: 'redeploy-under-test',
        field_service: 'arn:aws:ecs:eu-west-1:111122223333:service/web/api',
        field_level: 3,
      }),
    ]);
  });

  it('escapes every string of a line, the message, each field and nested ones, so that none reaches the log raw', async () => {
    const t = await warm();
    const outside = 'prod/db\u202e\u2028\u0007\nnext line';
    await t.invocation(lambdaContext, async () =>
      t.log.warn(`event refused: ${outside}`, { reason: outside, nested: { list: [outside] } }),
    );
    const raw = output.written();
    expect(raw).not.toMatch(RAW_UNSAFE);
    const [line] = output.logs();
    const escaped = 'prod/db\\u202e\\u2028\\u0007\\nnext line';
    expect(line).toMatchObject({ message: `event refused: ${escaped}`, reason: escaped, nested: { list: [escaped] } });
  });

  it('logs nothing when silent, and still publishes the metrics', async () => {
    const t = telemetry(true);
    await t.invocation(lambdaContext, async () => {
      t.log.info('report', { report: {} });
      t.metrics.add('ServicesRedeployed', 1);
    });
    expect(output.logs()).toEqual([]);
    expect(output.emf().map((doc) => doc.ServicesRedeployed)).toEqual([undefined, 1]);
  });
});

describe('an invocation that throws', () => {
  const throttled = () => {
    const error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    error.stack = `ThrottlingException: Rate exceeded\n    at throwDefaultError (node_modules/@smithy/smithy-client/dist-cjs/index.js:1:1)`;
    return error;
  };

  it('is logged in one line, name and message without the stack, then rethrown', async () => {
    const t = await warm();
    const error = throttled();
    await expect(
      t.invocation(lambdaContext, async () => {
        throw error;
      }),
    ).rejects.toBe(error);

    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'invocation failed',
        service: 'redeploy-under-test',
        function_request_id: lambdaContext.awsRequestId,
        error: { name: 'ThrottlingException', message: 'Rate exceeded' },
      }),
    ]);
    expect(JSON.stringify(output.lines())).not.toContain('smithy');
  });

  it('writes the error message escaped in that line, before anything else escapes it', async () => {
    const t = await warm();
    const error = Object.assign(new Error('denied for \u202enimda\u001b[2J\u2028'), { name: 'AccessDeniedException' });
    await expect(
      t.invocation(lambdaContext, async () => {
        throw error;
      }),
    ).rejects.toBe(error);
    expect(output.written()).not.toMatch(RAW_UNSAFE);
    expect(output.logs()[0].error).toEqual({ name: 'AccessDeniedException', message: 'denied for \\u202enimda\\u001b[2J\\u2028' });
  });

  it('still publishes the metrics it added', async () => {
    const t = await warm();
    await expect(
      t.invocation(lambdaContext, async () => {
        t.metrics.add('RedeployFailed', 2);
        throw throttled();
      }),
    ).rejects.toThrow('Rate exceeded');
    expect(output.emf()).toEqual([expect.objectContaining({ RedeployFailed: 2, service: 'redeploy-under-test' })]);
  });
});
