/**
 * The Serverless Application Repository application (infra/sam/template.yml), generated from the
 * behaviour definition: the same template with the SAM transform, its functions as
 * AWS::Serverless::Function (CodeUri: the bundles `npm run package` writes; `sam package` uploads
 * them), each function's asynchronous invoke configuration folded into its EventInvokeConfig
 * property, and the AWS::ServerlessRepo::Application metadata SAR publishes.
 */

import type { CfnResource, CfnTemplate, Json } from '../org/member-template';
import { type Behaviour, BUNDLES_BUCKET, BUNDLES_KEY_PREFIX } from './behaviour';

export const SAM_TEMPLATE = 'infra/sam/template.yml';
/** Where the template finds the bundles, relative to itself. */
const BUNDLES_FROM_TEMPLATE = '../../.serverless';

const SOURCE_CODE_URL = 'https://github.com/ecs-secret-redeploy/ecs-secret-redeploy';

/**
 * What SAR shows and publishes (rules: test/unit/forms/sar-metadata.test.ts). The version is the
 * package's; the source code address is the repository's (README "Deploy").
 */
function applicationMetadata(version: string): Json {
  return {
    Name: 'ecs-secret-redeploy',
    Description:
      'Redeploys every Amazon ECS service that uses a Secrets Manager secret or SSM parameter, exactly once per change, in waves, ' +
      'when the secret rotates or changes. Never reads a secret value.',
    Author: 'ecs-secret-redeploy',
    SpdxLicenseId: 'Apache-2.0',
    LicenseUrl: '../../LICENSE',
    ReadmeUrl: 'README.md',
    Labels: ['ecs', 'secrets-manager', 'ssm', 'secret-rotation', 'redeploy', 'eventbridge'],
    HomePageUrl: SOURCE_CODE_URL,
    SemanticVersion: version,
    SourceCodeUrl: SOURCE_CODE_URL,
  };
}

/** Properties an AWS::Serverless::Function passes to its AWS::Lambda::Function as they are. */
const PASSED_THROUGH = [
  'FunctionName',
  'Description',
  'Handler',
  'Runtime',
  'Architectures',
  'MemorySize',
  'Timeout',
  'Role',
  'Environment',
  'ReservedConcurrentExecutions',
  'LoggingConfig',
  'KmsKeyArn',
  'Layers',
  'VpcConfig',
];

export function samTemplate(behaviour: Behaviour, version: string): CfnTemplate {
  const source = structuredClone(behaviour.template);
  const resources: Record<string, CfnResource> = {};
  const folded = new Set<string>();
  for (const [id, resource] of Object.entries(source.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const invokeConfigs = Object.entries(source.Resources).filter(
      ([, r]) => r.Type === 'AWS::Lambda::EventInvokeConfig' && JSON.stringify(r.Properties?.FunctionName) === JSON.stringify({ Ref: id }),
    );
    if (invokeConfigs.length > 1) throw new Error(`${id} has ${invokeConfigs.length} invoke configurations; SAM takes one`);
    const properties: Json = { CodeUri: `${BUNDLES_FROM_TEMPLATE}/${behaviour.bundles[id]}` };
    for (const [name, value] of Object.entries(resource.Properties ?? {})) {
      if (name === 'Code') continue;
      if (!PASSED_THROUGH.includes(name))
        throw new Error(`${id}.${name} has no AWS::Serverless::Function translation (scripts/forms/sam.ts)`);
      properties[name] = value;
    }
    const [invokeConfig] = invokeConfigs;
    if (invokeConfig) {
      properties.EventInvokeConfig = eventInvokeConfig(invokeConfig[0], invokeConfig[1], source);
      folded.add(invokeConfig[0]);
    }
    resources[id] = { ...resource, Type: 'AWS::Serverless::Function', Properties: properties };
  }
  const ordered = Object.fromEntries(
    Object.entries(source.Resources)
      .filter(([id]) => !folded.has(id))
      .map(([id, resource]) => [id, resources[id] ?? resource]),
  );

  const parameters = { ...source.Parameters };
  delete parameters[BUNDLES_BUCKET];
  delete parameters[BUNDLES_KEY_PREFIX];
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Transform: 'AWS::Serverless-2016-10-31',
    Description: source.Description,
    Metadata: { 'AWS::ServerlessRepo::Application': applicationMetadata(version), ...source.Metadata },
    Parameters: parameters,
    Conditions: source.Conditions,
    Resources: ordered,
    Outputs: source.Outputs,
  };
}

/** AWS::Lambda::EventInvokeConfig -> the function's EventInvokeConfig property (SAM's own spelling). */
function eventInvokeConfig(id: string, resource: CfnResource, template: CfnTemplate): Json {
  const { FunctionName: _, Qualifier, DestinationConfig, ...rest } = (resource.Properties ?? {}) as Json;
  if (Qualifier !== '$LATEST') throw new Error(`${id}: only the $LATEST invoke configuration folds into a SAM function`);
  const config: Json = { ...rest };
  if (DestinationConfig) {
    config.DestinationConfig = Object.fromEntries(
      Object.entries(DestinationConfig as Json).map(([when, destination]) => {
        const arn = (destination as Json).Destination;
        return [when, { Type: destinationType(arn, template, `${id}.${when}`), Destination: arn }];
      }),
    );
  }
  return config;
}

const DESTINATION_TYPES: Record<string, string> = {
  'AWS::SQS::Queue': 'SQS',
  'AWS::SNS::Topic': 'SNS',
  'AWS::Lambda::Function': 'Lambda',
  'AWS::Events::EventBus': 'EventBridge',
  'AWS::S3::Bucket': 'S3Bucket',
};

function destinationType(arn: unknown, template: CfnTemplate, where: string): string {
  const att = (arn as Json | null)?.['Fn::GetAtt'];
  const target = Array.isArray(att) ? String(att[0]) : undefined;
  const type = target ? DESTINATION_TYPES[template.Resources[target]?.Type] : undefined;
  if (!type) throw new Error(`${where}: a destination SAM can name is a GetAtt of a queue, topic, function, bus or bucket of the template`);
  return type;
}
