import 'aws-sdk-client-mock-jest';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// As the stack sets it: without it, Powertools names the service "service_undefined" in logs and metrics.
process.env.POWERTOOLS_SERVICE_NAME ??= 'ecs-secret-redeploy-test';
