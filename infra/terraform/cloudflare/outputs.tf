output "model_artifacts_bucket" {
  description = "R2 bucket of published model bundles: bucket_name of MODEL_ARTIFACTS in services/forecast/wrangler*.toml."
  value       = cloudflare_r2_bucket.model_artifacts.name
}

output "model_pointer_namespace_id" {
  description = "KV namespace id of the served-version pointer: id of MODEL_POINTER in services/forecast/wrangler*.toml."
  value       = cloudflare_workers_kv_namespace.model_pointer.id
}

output "hyperdrive_id" {
  description = "Hyperdrive config id: id of HYPERDRIVE in services/decision/wrangler.toml."
  value       = cloudflare_hyperdrive_config.decision_db.id
}
