output "forecast_url" {
  description = "The forecast service on the Docker host."
  value       = "http://localhost:${var.forecast_port}"
}

output "decision_url" {
  description = "The decision service on the Docker host."
  value       = "http://localhost:${var.decision_port}"
}

output "grafana_url" {
  description = "Grafana with the purchase-prediction dashboards."
  value       = "http://localhost:3000"
}
