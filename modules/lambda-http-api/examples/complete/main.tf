# Jupyter MCP on Lambda behind an HTTP API, token auth, kept warm; the image is built and pushed by CI.
#
#   terraform init && terraform apply -var image_tag=$GIT_SHA
#
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

  # Files, notebooks and kernel checkpoints in S3, session leases in DynamoDB: a caller's variables
  # survive cold starts and follow it to whichever execution environment serves its next call.
  # The session table has deletion protection: set session_table_deletion_protection_enabled = false
  # and apply before terraform destroy. Checkpoints are signed with a random key the module keeps in
  # a Secrets Manager secret of its own; to bring yours (SecretString = 32+ random characters):
  #   checkpoint_key_secret_arn = aws_secretsmanager_secret.checkpoint_key.arn
  create_workspace_bucket = true

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

output "session_table_name" {
  value       = module.jupyter_mcp.session_table_name
  description = "DynamoDB table holding the session leases (MCP_SESSION_TABLE)."
}

output "checkpoint_key_secret_arn" {
  value       = module.jupyter_mcp.checkpoint_key_secret_arn
  description = "Secret holding the key that signs kernel checkpoints (only the function reads it)."
}
