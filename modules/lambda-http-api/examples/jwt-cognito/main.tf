# Jupyter MCP on Lambda with a Cognito user pool: API Gateway checks the JWT before the function runs.
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
  source = "git::https://github.com/example-org/jupyter-mcp-lambda.git//modules/lambda-http-api?ref=v0.1.0"

  function_name = "jupyter-mcp-jwt"
  image_uri     = var.image_uri
  auth_type     = "jwt"
  jwt_issuer    = "https://${aws_cognito_user_pool.mcp.endpoint}"
  jwt_audience  = [aws_cognito_user_pool_client.agent.id]
}

output "mcp_url" {
  value       = module.jupyter_mcp.mcp_url
  description = "Call with Authorization: Bearer <Cognito ID or access token>."
}
