# The compose services (infra/docker-compose.yml) as a Terraform-managed container deployment on a
# Docker host: Postgres, forecast, decision, Prometheus and Grafana on one private network.
terraform {
  required_version = ">= 1.6"

  required_providers {
    docker = {
      source  = "kreuzwerker/docker"
      version = "~> 3.0"
    }
  }
}

provider "docker" {
  # e.g. unix:///var/run/docker.sock or ssh://deploy@host
  host = var.docker_host
}
