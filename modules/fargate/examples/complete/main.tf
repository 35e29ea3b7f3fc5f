# Jupyter MCP on ECS Fargate behind an HTTPS ALB, in an existing VPC.
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

variable "certificate_arn" {
  type        = string
  description = "ACM certificate for the service's host name."
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
  certificate_arn    = var.certificate_arn
  cpu                = 1024
  memory             = 4096
  kernel_preload     = "numpy,pandas,matplotlib"
}

output "mcp_url" {
  value       = module.jupyter_mcp.mcp_url
  description = "Point a DNS record at alb_dns_name and use that host name."
}

output "alb_dns_name" {
  value       = module.jupyter_mcp.alb_dns_name
  description = "DNS name of the ALB."
}
