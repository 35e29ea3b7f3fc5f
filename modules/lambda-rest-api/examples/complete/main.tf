# Jupyter MCP on Lambda behind a streaming REST API, token auth, a WAF web ACL; the image is built
# and pushed by CI.
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

# Once per account and region (skip it if your account baseline sets it): the role API Gateway
# writes REST API access logs with. It is account-wide, so the module does not manage it.
resource "aws_iam_role" "apigateway_cloudwatch" {
  name = "apigateway-cloudwatch"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "apigateway.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "apigateway_cloudwatch" {
  role       = aws_iam_role.apigateway_cloudwatch.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.apigateway_cloudwatch.arn
  depends_on          = [aws_iam_role_policy_attachment.apigateway_cloudwatch]
}

resource "aws_wafv2_web_acl" "mcp" {
  name  = "jupyter-mcp"
  scope = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-limit"
    priority = 1
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = 600
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "jupyter-mcp-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "jupyter-mcp"
    sampled_requests_enabled   = true
  }
}

module "image" {
  source = "git::https://github.com/example-org/jupyter-mcp-lambda.git//modules/image?ref=v0.1.0"

  repository_name = "jupyter-mcp"
}

module "jupyter_mcp" {
  source = "git::https://github.com/example-org/jupyter-mcp-lambda.git//modules/lambda-rest-api?ref=v0.1.0"

  function_name   = "jupyter-mcp"
  image_uri       = "${module.image.repository_url}:${var.image_tag}"
  architecture    = "arm64"
  memory_size     = 3008
  auth_type       = "token"
  kernel_preload  = "numpy,pandas,matplotlib"
  waf_web_acl_arn = aws_wafv2_web_acl.mcp.arn

  # Calls may stream for up to 15 minutes (the function's timeout is 900 s by default too).
  integration_timeout_milliseconds = 900000
  throttling_burst_limit           = 20
  throttling_rate_limit            = 10

  # Files, notebooks and kernel checkpoints in S3, session leases in DynamoDB.
  create_workspace_bucket = true

  tags = { service = "jupyter-mcp" }

  # The stage logs through the account role: it must be set before the stage is created.
  depends_on = [aws_api_gateway_account.this]
}

output "mcp_url" {
  value       = module.jupyter_mcp.mcp_url
  description = "Give this to MCP clients, with the token below."
}

output "auth_token_secret_arn" {
  value       = module.jupyter_mcp.auth_token_secret_arn
  description = "aws secretsmanager get-secret-value --secret-id <this> --query SecretString --output text"
}
