# ecs-secret-redeploy in one account and region, with the bundles of a checkout of this
# repository (`npm ci && npm run package` writes them to .serverless/).
#
#   terraform init && terraform apply
#
# Then build the index once (docs/deploy.md): the function name is in the outputs.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 6.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "ecs_secret_redeploy" {
  source = "../.."

  name        = "ecs-secret-redeploy-prod"
  bundles_dir = "${path.root}/../../../../.serverless"

  clusters        = ["prod-a", "prod-b"]
  max_concurrency = 5
  dry_run         = false

  tags = {
    team = "platform"
  }
}

# Get the alarms by e-mail.
resource "aws_sns_topic_subscription" "alarms" {
  topic_arn = module.ecs_secret_redeploy.alarm_topic_arn
  protocol  = "email"
  endpoint  = "platform-oncall@example.com"
}

output "function_names" {
  value = module.ecs_secret_redeploy.function_names
}

output "state_table_name" {
  value = module.ecs_secret_redeploy.state_table_name
}
