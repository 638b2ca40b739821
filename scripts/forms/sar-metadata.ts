/**
 * The rules of the AWS::ServerlessRepo::Application metadata, which cfn-lint does not check and
 * `sam publish` only checks when it publishes. From the AWS SAM Developer Guide, "AWS SAM template
 * Metadata section properties"
 * (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-template-publishing-applications-metadata-properties.html):
 * - Name: required, 1 to 140 characters, pattern [a-zA-Z0-9\-]+
 * - Description: required, 1 to 256 characters
 * - Author: required, 1 to 127 characters, pattern ^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$
 * - SpdxLicenseId: a valid identifier of the SPDX License List (https://spdx.org/licenses/)
 * - LicenseUrl: a local licence file (before `sam package`) that matches SpdxLicenseId, at most 5 MB;
 *   needed to make the application public, and cannot change once published
 * - ReadmeUrl: a local readme file (before `sam package`), at most 5 MB; Markdown (the
 *   CreateApplication API's ReadmeBody: "A text readme file in Markdown language")
 * - Labels: at most 10, each 1 to 127 characters, pattern ^[a-zA-Z0-9+\-_:\/@]+$
 * - HomePageUrl, SourceCodeUrl: URLs (SourceCodeUrl a public repository)
 * - SemanticVersion: a Semantic Versioning 2.0.0 version (https://semver.org, its suggested
 *   regular expression); needed to make the application public
 * - "AWS CloudFormation intrinsic functions aren't supported by the AWS::ServerlessRepo::Application metadata key."
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Json } from '../org/member-template';

const MAX_FILE_BYTES = 5 * 1024 * 1024;
// https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** SPDX identifiers this check knows the licence text of: the first line the text starts with. */
const LICENCE_TITLES: Record<string, RegExp> = {
  'Apache-2.0': /^\s*Apache License\s+Version 2\.0, January 2004/,
  MIT: /^\s*(The )?MIT License/,
};

export interface MetadataContext {
  /** The template's directory: LicenseUrl and ReadmeUrl are relative to it. */
  templateDir: string;
  /** package.json: the version and licence the application must carry. */
  packageVersion: string;
  packageLicense: string;
}

/** Every rule the metadata breaks, one line each; empty when it keeps them all. */
export function sarMetadataProblems(metadata: Json | undefined, context: MetadataContext): string[] {
  if (!metadata) return ['no AWS::ServerlessRepo::Application metadata'];
  const problems: string[] = [];
  const text = (field: string, required: boolean, min: number, max: number, pattern?: RegExp): string | undefined => {
    const value = metadata[field];
    if (value === undefined) {
      if (required) problems.push(`${field} is required`);
      return undefined;
    }
    if (typeof value !== 'string') {
      problems.push(`${field} must be a literal string (no intrinsic function)`);
      return undefined;
    }
    if (value.length < min || value.length > max) problems.push(`${field} must be ${min} to ${max} characters, is ${value.length}`);
    if (pattern && !pattern.test(value)) problems.push(`${field} "${value}" does not match ${pattern.source}`);
    return value;
  };
  text('Name', true, 1, 140, /^[a-zA-Z0-9-]+$/);
  text('Description', true, 1, 256);
  text('Author', true, 1, 127, /^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$/);
  for (const field of ['HomePageUrl', 'SourceCodeUrl']) {
    const url = text(field, false, 1, 2048);
    if (url !== undefined && !/^https:\/\/[^\s/]+\.[^\s/]+(\/\S*)?$/.test(url)) problems.push(`${field} "${url}" is not an https URL`);
  }
  const version = text('SemanticVersion', true, 1, 256, SEMVER);
  if (version !== undefined && version !== context.packageVersion) {
    problems.push(`SemanticVersion ${version} is not the package's version ${context.packageVersion}`);
  }

  const licence = text('SpdxLicenseId', true, 1, 256);
  if (licence !== undefined && licence !== context.packageLicense)
    problems.push(`SpdxLicenseId ${licence} is not the package's licence ${context.packageLicense}`);
  const licenceFile = localFile(metadata, 'LicenseUrl', context, problems);
  if (licence !== undefined && licenceFile !== undefined) {
    const title = LICENCE_TITLES[licence];
    if (!title) problems.push(`no known licence text for ${licence} to check LicenseUrl against`);
    else if (!title.test(fs.readFileSync(licenceFile, 'utf8'))) problems.push(`LicenseUrl is not the text of ${licence}`);
  }
  const readme = localFile(metadata, 'ReadmeUrl', context, problems);
  if (readme !== undefined && !/\.(md|markdown|txt)$/i.test(readme)) problems.push('ReadmeUrl must be a Markdown or text file');

  const labels = metadata.Labels;
  if (labels !== undefined) {
    if (!Array.isArray(labels)) problems.push('Labels must be a list');
    else {
      if (labels.length > 10) problems.push(`at most 10 labels, there are ${labels.length}`);
      for (const label of labels) {
        if (typeof label !== 'string' || label.length < 1 || label.length > 127 || !/^[a-zA-Z0-9+\-_:/@]+$/.test(label)) {
          problems.push(`label ${JSON.stringify(label)} must be 1 to 127 of letters, digits and + - _ : / @`);
        }
      }
    }
  }
  for (const [field, value] of Object.entries(metadata)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) problems.push(`${field} holds an intrinsic function or an object`);
  }
  return problems;
}

/** A required local file (a path relative to the template), at most 5 MB; its path, or undefined. */
function localFile(metadata: Json, field: string, context: MetadataContext, problems: string[]): string | undefined {
  const value = metadata[field];
  if (typeof value !== 'string') {
    problems.push(`${field} is required (a local file, uploaded by sam package)`);
    return undefined;
  }
  if (/^(s3|https?):\/\//.test(value)) return undefined;
  const file = path.resolve(context.templateDir, value);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    problems.push(`${field} ${value}: no such file beside the template`);
    return undefined;
  }
  if (fs.statSync(file).size > MAX_FILE_BYTES) problems.push(`${field} ${value} is larger than 5 MB`);
  return file;
}
