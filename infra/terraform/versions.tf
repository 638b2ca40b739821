terraform {
  # Preconditions naming other variables, nullable variables and one(); the tests (tests/) need 1.11.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 6.0"
    }
  }
}
