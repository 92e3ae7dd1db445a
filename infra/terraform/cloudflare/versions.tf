# The resources the forecast and decision Workers bind to: an R2 bucket for model artifacts, a KV
# namespace naming the model version to serve, and a Hyperdrive config for PostgreSQL.
terraform {
  required_version = ">= 1.6"

  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 4.52"
    }
  }
}

provider "cloudflare" {
  # Read from the CLOUDFLARE_API_TOKEN environment variable when null.
  api_token = var.cloudflare_api_token
}
