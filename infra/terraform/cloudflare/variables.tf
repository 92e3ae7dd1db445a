variable "cloudflare_api_token" {
  description = "API token with Workers Scripts, Workers KV and R2 edit rights (or set CLOUDFLARE_API_TOKEN)."
  type        = string
  default     = null
  sensitive   = true
}

variable "account_id" {
  description = "Cloudflare account id."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of every Cloudflare resource name (one stack per environment)."
  type        = string
  default     = "pp"
}

variable "forecast_script_path" {
  description = "The forecast worker as one ES module: `wrangler deploy --dry-run --outdir dist -c services/forecast/wrangler.lite.toml` writes dist/worker-lite.js."
  type        = string
}

variable "decision_script_path" {
  description = "The decision worker as one ES module (`wrangler deploy --dry-run --outdir dist` in services/decision)."
  type        = string
}

variable "model_bundle_url" {
  description = "HTTPS URL of the exported model bundle in the R2 bucket (public bucket domain); empty serves the model bundled into the script."
  type        = string
  default     = ""
}

variable "compatibility_date" {
  description = "Workers compatibility date, as in the wrangler.toml files."
  type        = string
  default     = "2026-11-01"
}

variable "log_level" {
  description = "LOG_LEVEL of both workers."
  type        = string
  default     = "info"
}

variable "r2_location" {
  description = "R2 location hint for the artifact bucket."
  type        = string
  default     = "WEUR"
}

variable "zone_id" {
  description = "Zone for custom domains (forecast.<zone>, decision.<zone>); empty for none."
  type        = string
  default     = ""
}

variable "zone_name" {
  description = "Domain of zone_id, e.g. example.com."
  type        = string
  default     = ""
}
