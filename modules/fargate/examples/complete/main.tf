# Jupyter MCP on ECS Fargate behind an HTTPS ALB, in an existing VPC.
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
  description = "Tag CI pushed to the repository."
}

variable "vpc_id" {
  type        = string
  description = "VPC to run in."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Subnets for the tasks (with a NAT gateway or VPC endpoints)."
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Subnets for the ALB."
}

variable "domain_name" {
  type        = string
  default     = "mcp.example.com"
  description = "The host name clients call: the certificate's name, pointed at the ALB (alb_dns_name)."
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate for domain_name."
}

module "image" {
  source = "git::https://github.com/example-org/jupyter-mcp-lambda.git//modules/image?ref=v0.1.0"
}

module "jupyter_mcp" {
  source = "git::https://github.com/example-org/jupyter-mcp-lambda.git//modules/fargate?ref=v0.1.0"

  name               = "jupyter-mcp"
  image_uri          = "${module.image.repository_url}:${var.image_tag}"
  ecr_repository_arn = module.image.repository_arn
  vpc_id             = var.vpc_id
  subnet_ids         = var.private_subnet_ids
  alb_subnet_ids     = var.public_subnet_ids
  domain_name        = var.domain_name
  certificate_arn    = var.certificate_arn
  cpu                = 1024
  memory             = 4096
  kernel_preload     = "numpy,pandas,matplotlib"

  # Files and kernel checkpoints in S3, session leases in DynamoDB: a caller's variables survive
  # task restarts and follow it across tasks (the task subnets then need S3 and DynamoDB access).
  # The session table has deletion protection: set session_table_deletion_protection_enabled = false
  # and apply before terraform destroy. Checkpoints are signed with a random key the module keeps in
  # a Secrets Manager secret of its own (the server reads it at start with the task role); to bring
  # yours, set checkpoint_key_secret_arn (SecretString = 32+ random characters).
  create_workspace_bucket = true
}

output "mcp_url" {
  value       = module.jupyter_mcp.mcp_url
  description = "https://<domain_name>/mcp: point a DNS record for domain_name at alb_dns_name (or set route53_zone_id)."
}

output "alb_dns_name" {
  value       = module.jupyter_mcp.alb_dns_name
  description = "DNS name of the ALB."
}

output "session_table_arn" {
  value       = module.jupyter_mcp.session_table_arn
  description = "DynamoDB table holding the session leases."
}

output "checkpoint_key_secret_arn" {
  value       = module.jupyter_mcp.checkpoint_key_secret_arn
  description = "Secret holding the key that signs kernel checkpoints."
}
