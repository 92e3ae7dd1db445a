output "forecast_script" {
  description = "Name of the forecast worker."
  value       = cloudflare_workers_script.forecast.name
}

output "decision_script" {
  description = "Name of the decision worker."
  value       = cloudflare_workers_script.decision.name
}

output "model_artifacts_bucket" {
  description = "R2 bucket holding exported model bundles."
  value       = cloudflare_r2_bucket.model_artifacts.name
}

output "model_pointer_namespace_id" {
  description = "KV namespace id of the served-version pointer."
  value       = cloudflare_workers_kv_namespace.model_pointer.id
}
