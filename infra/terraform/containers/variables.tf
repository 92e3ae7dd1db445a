variable "docker_host" {
  description = "Docker daemon to deploy to."
  type        = string
  default     = "unix:///var/run/docker.sock"
}

variable "repo_root" {
  description = "Path of the repository checkout (the services' Docker build context)."
  type        = string
  default     = "../../.."
}

variable "postgres_password" {
  description = "Password of the postgres superuser."
  type        = string
  sensitive   = true
}

variable "purchase_db_password" {
  description = "Password of the purchase database user the services connect as."
  type        = string
  sensitive   = true
}

variable "grafana_admin_password" {
  description = "Grafana admin password."
  type        = string
  sensitive   = true
}

variable "model_name" {
  description = "Registered model the forecast service serves."
  type        = string
  default     = "purchase"
}

variable "forecast_port" {
  description = "Host port of the forecast service."
  type        = number
  default     = 8001
}

variable "decision_port" {
  description = "Host port of the decision service."
  type        = number
  default     = 8002
}
