variable "cloudflare_api_token" {
  description = "API token with Workers KV, R2 and Hyperdrive edit rights (or set CLOUDFLARE_API_TOKEN)."
  type        = string
  default     = null
  sensitive   = true
}

variable "account_id" {
  description = "Cloudflare account id."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of every Cloudflare resource name (one stack per environment); the wrangler.toml files assume pp."
  type        = string
  default     = "pp"
}

variable "r2_location" {
  description = "R2 location hint for the artifact bucket."
  type        = string
  default     = "WEUR"
}

variable "postgres_host" {
  description = "Host name of the PostgreSQL server the decision Worker uses (reachable from Cloudflare)."
  type        = string
}

variable "postgres_port" {
  description = "Port of that PostgreSQL server."
  type        = number
  default     = 5432
}

variable "postgres_database" {
  description = "Database holding the platform schema (migrate it with `npm run db:migrate`)."
  type        = string
  default     = "purchase"
}

variable "postgres_user" {
  description = "Database user of the decision Worker."
  type        = string
  default     = "purchase"
}

variable "postgres_password" {
  description = "Password of postgres_user."
  type        = string
  sensitive   = true
}
