# The module against a mocked provider (no AWS account, no network): terraform init, then
# terraform test. test/stack/forms-terraform.test.ts runs it with the provider from a local
# mirror; test/stack/forms-parity.test.ts compares its plans with the other install forms.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  # What the policies read, known at plan time (the provider checks that ARNs look like ARNs).
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/state" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:123456789012:dlq"
      url = "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/ecs-secret-redeploy/role" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:fn" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:alarms" }
  }
}

variables {
  bundles_s3_bucket = "release-artifacts"
}

run "defaults_deploy_the_three_functions_and_nothing_optional" {
  command = plan

  assert {
    condition     = aws_lambda_function.on_secret_change.function_name == "ecs-secret-redeploy-on-secret-change"
    error_message = "the reconciler is named after var.name"
  }
  assert {
    condition     = aws_lambda_function.on_secret_change.s3_key == "onSecretChange.zip" && aws_lambda_function.on_secret_change.filename == null
    error_message = "the code comes from bundles_s3_bucket"
  }
  assert {
    condition     = aws_lambda_function.on_secret_change.reserved_concurrent_executions == 1
    error_message = "the reconciler reserves one execution"
  }
  assert {
    condition     = aws_lambda_function.redeploy_secret.environment[0].variables.STATE_TABLE == "ecs-secret-redeploy"
    error_message = "the functions find the state table by its name"
  }
  assert {
    condition     = aws_dynamodb_table.state_table.hash_key == "pk" && aws_dynamodb_table.state_table.range_key == "sk"
    error_message = "the state table's keys are pk and sk"
  }
  assert {
    condition     = length(aws_cloudwatch_event_rule.forward_to_central_bus) == 0 && length(aws_iam_role.forward_secret_events) == 0
    error_message = "nothing is forwarded by default"
  }
  assert {
    condition     = length(aws_cloudwatch_event_bus_policy.secret_owners_may_put_secret_events) == 0
    error_message = "the default bus admits no other account by default"
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.on_secret_change_on_secret_change.policy, "sts:AssumeRole")
    error_message = "no role is assumed without secret_owners"
  }
}

run "forwarding_skips_this_region_and_secret_owners_open_the_bus" {
  command = plan

  variables {
    name                     = "ecs-secret-redeploy-prod"
    forward_secret_events_to = ["us-east-1", "eu-west-1"]
    central_event_bus_arn    = "arn:aws:events:eu-west-1:999999999999:event-bus/central"
    secret_owners            = ["111111111111", "222222222222"]
  }

  assert {
    condition     = length(aws_cloudwatch_event_target.forward_secret_api_calls_1) == 1 && length(aws_cloudwatch_event_target.forward_secret_api_calls_2) == 0
    error_message = "us-east-1 gets the events, eu-west-1 (this region) does not"
  }
  assert {
    condition     = aws_cloudwatch_event_target.forward_secret_api_calls_1[0].target_id == "us-east-1"
    error_message = "a forwarding target is named after its region"
  }
  assert {
    condition     = length(aws_cloudwatch_event_rule.forward_to_central_bus) == 1
    error_message = "central_event_bus_arn forwards the tool's events"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_bus_policy.secret_owners_may_put_secret_events[0].policy).Statement[0].Principal.AWS == ["111111111111", "222222222222"]
    error_message = "the default bus admits the owner accounts"
  }
  assert {
    condition     = strcontains(aws_iam_role_policy.on_secret_change_on_secret_change.policy, "aws:ResourceAccount")
    error_message = "the read role is assumed in the owner accounts only"
  }
  assert {
    condition     = aws_lambda_function.on_secret_change.environment[0].variables.SECRET_OWNERS == "111111111111,222222222222"
    error_message = "the functions get the owner accounts as CloudFormation passes them (comma-separated)"
  }
}

run "the_code_comes_from_one_place" {
  command = plan

  variables {
    bundles_s3_bucket = null
  }

  expect_failures = [
    aws_lambda_function.on_secret_change,
    aws_lambda_function.redeploy_secret,
    aws_lambda_function.refresh_index,
  ]
}

run "secret_owners_are_account_ids_or_organization" {
  command = plan

  variables {
    secret_owners = ["1234"]
  }

  expect_failures = [var.secret_owners]
}

run "a_name_too_long_for_the_longest_rule_name_is_refused" {
  command = plan

  variables {
    name = "ecs-secret-redeploy-a-very-long-stage"
  }

  expect_failures = [var.name]
}

run "schedules_are_rate_or_cron" {
  command = plan

  variables {
    index_schedule = "every 6 hours"
  }

  expect_failures = [var.index_schedule]
}
