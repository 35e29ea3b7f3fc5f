# Keep an existing Jupyter MCP function warm, pinging its `live` alias every 5 minutes.
# "example-org" is a placeholder: use the owner of the repository (or fork) you consume.

terraform {
  required_version = ">= 1.11.0"
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.29" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

data "aws_lambda_function" "mcp" {
  function_name = "jupyter-mcp"
}

module "keep_warm" {
  source = "git::https://github.com/example-org/jupyter-mcp-lambda.git//modules/keep-warm?ref=v0.1.0"

  name                = "jupyter-mcp"
  function_arn        = data.aws_lambda_function.mcp.arn
  function_alias_arn  = "${data.aws_lambda_function.mcp.arn}:live"
  schedule_expression = "rate(5 minutes)"
}

output "schedule_names" {
  value       = module.keep_warm.schedule_names
  description = "The schedules created."
}
