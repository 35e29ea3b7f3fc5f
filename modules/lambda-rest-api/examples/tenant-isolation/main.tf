# Jupyter MCP on Lambda with per-caller tenant isolation: API Gateway checks the caller's Cognito
# token and passes its sub claim to Lambda as the tenant id, so every caller gets execution
# environments (a kernel, /tmp, memory) of its own. Assumes the account's API Gateway CloudWatch
# role is set (see examples/complete).
# "example-org" is a placeholder: use the owner of the repository (or fork) you consume.

terraform {
  required_version = ">= 1.11.0"
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.29" }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type        = string
  default     = "eu-west-1"
  description = "AWS region."
}

variable "image_uri" {
  type        = string
  description = "ECR image URI of the server."
}

resource "aws_cognito_user_pool" "mcp" {
  name = "jupyter-mcp"
}

resource "aws_cognito_user_pool_client" "agent" {
  name         = "mcp-agent"
  user_pool_id = aws_cognito_user_pool.mcp.id
}

module "jupyter_mcp" {
  source = "git::https://github.com/example-org/jupyter-mcp-lambda.git//modules/lambda-rest-api?ref=v0.1.0"

  function_name          = "jupyter-mcp-isolated"
  image_uri              = var.image_uri
  auth_type              = "jwt"
  cognito_user_pool_arns = [aws_cognito_user_pool.mcp.arn]

  # Immutable: switching it later replaces the function. No provisioned concurrency, no keep-warm
  # module (its pings carry no tenant id), no function URL with it.
  tenant_isolation = true

  # Checkpoints still let a caller's kernel survive its environment being recycled.
  create_workspace_bucket = true
}

output "mcp_url" {
  value       = module.jupyter_mcp.mcp_url
  description = "Call with Authorization: Bearer <Cognito ID token>."
}

output "resource_metadata_url" {
  value       = module.jupyter_mcp.resource_metadata_url
  description = "RFC 9728 metadata of the MCP endpoint."
}
