# Build packages/handler/Dockerfile and push it to a new ECR repository from Terraform.
# Needs a Docker engine where Terraform runs. CI-built images need none of this: see the README.
# "example-org" is a placeholder: use the owner of the repository (or fork) you consume.

terraform {
  required_version = ">= 1.11.0"
  required_providers {
    aws    = { source = "hashicorp/aws", version = ">= 6.29" }
    docker = { source = "kreuzwerker/docker", version = ">= 3.6" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

data "aws_caller_identity" "this" {}
data "aws_region" "this" {}
data "aws_ecr_authorization_token" "this" {}

provider "docker" {
  registry_auth {
    address  = "${data.aws_caller_identity.this.account_id}.dkr.ecr.${data.aws_region.this.region}.amazonaws.com"
    username = data.aws_ecr_authorization_token.this.user_name
    password = data.aws_ecr_authorization_token.this.password
  }
}

module "image" {
  source = "git::https://github.com/example-org/jupyter-mcp-lambda.git//modules/image?ref=v0.1.0"

  repository_name    = "jupyter-mcp"
  create_image_build = true
  platform           = "linux/arm64"
}

output "image_uri" {
  value       = module.image.image_uri
  description = "Pass to the lambda-http-api or fargate module."
}
