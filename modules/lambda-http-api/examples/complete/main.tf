# Jupyter MCP on Lambda behind an HTTP API, token auth, kept warm; the image is built and pushed by CI.
#
#   terraform init && terraform apply -var image_tag=$GIT_SHA
#
# "example-org" is a placeholder: use the owner of the repository (or fork) you consume.

terraform {
  required_version = ">= 1.5.0"
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

variable "image_tag" {
  type        = string
  description = "Tag CI pushed to the repository (e.g. the git SHA)."
}

module "image" {
  source = "git::https://github.com/example-org/jupyter-mcp-lambda.git//modules/image?ref=v0.1.0"

  repository_name = "jupyter-mcp"
}

module "jupyter_mcp" {
  source = "git::https://github.com/example-org/jupyter-mcp-lambda.git//modules/lambda-http-api?ref=v0.1.0"

  function_name       = "jupyter-mcp"
  image_uri           = "${module.image.repository_url}:${var.image_tag}"
  architecture        = "arm64"
  memory_size         = 3008
  auth_type           = "token"
  create_function_url = true # for executions longer than the HTTP API's 30 s
  kernel_preload      = "numpy,pandas,matplotlib"
  max_output_chars    = 50000

  tags = { service = "jupyter-mcp" }
}

module "keep_warm" {
  source = "git::https://github.com/example-org/jupyter-mcp-lambda.git//modules/keep-warm?ref=v0.1.0"

  name               = "jupyter-mcp"
  function_arn       = module.jupyter_mcp.function_arn
  function_alias_arn = module.jupyter_mcp.function_alias_arn
  tags               = { service = "jupyter-mcp" }
}

output "mcp_url" {
  value       = module.jupyter_mcp.mcp_url
  description = "Give this to MCP clients, with the token below."
}

output "function_url" {
  value       = module.jupyter_mcp.function_url
  description = "For long executions (append /mcp)."
}

output "auth_token_secret_arn" {
  value       = module.jupyter_mcp.auth_token_secret_arn
  description = "aws secretsmanager get-secret-value --secret-id <this> --query SecretString --output text"
}
