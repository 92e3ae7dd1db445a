locals {
  database_url = "postgres://purchase:${var.purchase_db_password}@postgres:5432/purchase"
  monitoring   = abspath("${var.repo_root}/monitoring")
}

resource "docker_network" "platform" {
  name = "purchase-prediction"
}

resource "docker_volume" "postgres_data" {
  name = "pp-postgres-data"
}

resource "docker_volume" "prometheus_data" {
  name = "pp-prometheus-data"
}

resource "docker_volume" "grafana_data" {
  name = "pp-grafana-data"
}

resource "docker_image" "postgres" {
  name         = "postgres:16"
  keep_locally = true
}

resource "docker_image" "prometheus" {
  name         = "prom/prometheus:v2.53.4"
  keep_locally = true
}

resource "docker_image" "grafana" {
  name         = "grafana/grafana:11.6.0"
  keep_locally = true
}

resource "docker_image" "forecast" {
  name = "purchase-prediction/forecast:terraform"

  build {
    context    = abspath(var.repo_root)
    dockerfile = "services/forecast/Dockerfile"
  }
}

resource "docker_image" "decision" {
  name = "purchase-prediction/decision:terraform"

  build {
    context    = abspath(var.repo_root)
    dockerfile = "services/decision/Dockerfile"
  }
}

resource "docker_container" "postgres" {
  name    = "pp-postgres"
  image   = docker_image.postgres.image_id
  restart = "unless-stopped"
  env = [
    "POSTGRES_USER=postgres",
    "POSTGRES_PASSWORD=${var.postgres_password}",
    "POSTGRES_DB=postgres",
    "PURCHASE_DB_PASSWORD=${var.purchase_db_password}",
    "MLFLOW_DB_PASSWORD=${var.purchase_db_password}",
  ]

  networks_advanced {
    name    = docker_network.platform.name
    aliases = ["postgres"]
  }

  volumes {
    volume_name    = docker_volume.postgres_data.name
    container_path = "/var/lib/postgresql/data"
  }

  # Creates the purchase (and mlflow) databases on first start, as in compose.
  volumes {
    host_path      = abspath("${var.repo_root}/infra/postgres/init-databases.sh")
    container_path = "/docker-entrypoint-initdb.d/10-init-databases.sh"
    read_only      = true
  }

  healthcheck {
    test     = ["CMD", "pg_isready", "--username=postgres", "--dbname=purchase"]
    interval = "5s"
    timeout  = "3s"
    retries  = 10
  }
}

resource "docker_container" "forecast" {
  name    = "pp-forecast"
  image   = docker_image.forecast.image_id
  restart = "unless-stopped"
  env = [
    "PORT=8001",
    "HOST=0.0.0.0",
    "DATABASE_URL=${local.database_url}",
    "MODEL_NAME=${var.model_name}",
    "LOG_LEVEL=info",
  ]

  networks_advanced {
    name    = docker_network.platform.name
    aliases = ["forecast"]
  }

  ports {
    internal = 8001
    external = var.forecast_port
  }

  depends_on = [docker_container.postgres]
}

resource "docker_container" "decision" {
  name    = "pp-decision"
  image   = docker_image.decision.image_id
  restart = "unless-stopped"
  env = [
    "PORT=8002",
    "HOST=0.0.0.0",
    "DATABASE_URL=${local.database_url}",
    "FORECAST_URL=http://forecast:8001",
    "LOG_LEVEL=info",
  ]

  networks_advanced {
    name    = docker_network.platform.name
    aliases = ["decision"]
  }

  ports {
    internal = 8002
    external = var.decision_port
  }

  # After forecast, so the two never apply migrations at the same moment on first start.
  depends_on = [docker_container.forecast]
}

# Scrapes forecast:8001 and decision:8002 with monitoring/prometheus.yml and its alert rules.
resource "docker_container" "prometheus" {
  name    = "pp-prometheus"
  image   = docker_image.prometheus.image_id
  restart = "unless-stopped"
  command = [
    "--config.file=/etc/prometheus/prometheus.yml",
    "--storage.tsdb.path=/prometheus",
  ]

  networks_advanced {
    name    = docker_network.platform.name
    aliases = ["prometheus"]
  }

  ports {
    internal = 9090
    external = 9090
    ip       = "127.0.0.1"
  }

  volumes {
    host_path      = "${local.monitoring}/prometheus.yml"
    container_path = "/etc/prometheus/prometheus.yml"
    read_only      = true
  }

  volumes {
    host_path      = "${local.monitoring}/rules"
    container_path = "/etc/prometheus/rules"
    read_only      = true
  }

  volumes {
    volume_name    = docker_volume.prometheus_data.name
    container_path = "/prometheus"
  }
}

# Grafana with the provisioned Prometheus datasource and the dashboards in monitoring/grafana.
resource "docker_container" "grafana" {
  name    = "pp-grafana"
  image   = docker_image.grafana.image_id
  restart = "unless-stopped"
  env = [
    "GF_SECURITY_ADMIN_PASSWORD=${var.grafana_admin_password}",
    "GF_USERS_ALLOW_SIGN_UP=false",
  ]

  networks_advanced {
    name    = docker_network.platform.name
    aliases = ["grafana"]
  }

  ports {
    internal = 3000
    external = 3000
  }

  volumes {
    host_path      = "${local.monitoring}/grafana/provisioning"
    container_path = "/etc/grafana/provisioning"
    read_only      = true
  }

  volumes {
    host_path      = "${local.monitoring}/grafana/dashboards"
    container_path = "/etc/grafana/dashboards"
    read_only      = true
  }

  volumes {
    volume_name    = docker_volume.grafana_data.name
    container_path = "/var/lib/grafana"
  }

  depends_on = [docker_container.prometheus]
}
