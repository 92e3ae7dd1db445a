# The Cloudflare resources the two Workers bind to. Terraform provisions them; the Workers
# themselves are built and uploaded with all their modules by `npx wrangler deploy` in
# services/forecast and services/decision (a Worker with data and WASM modules cannot be uploaded
# as the single file cloudflare_workers_script takes). Put the outputs' ids into the
# wrangler.toml files (see the README next to this directory).

# Model artifacts: each published version's exported bundle under <model>/<version>/<file>.
resource "cloudflare_r2_bucket" "model_artifacts" {
  account_id = var.account_id
  name       = "${var.name_prefix}-model-artifacts"
  location   = var.r2_location
}

# Which version the forecast Workers serve: key <model name> -> {"version", "bundle_sha256"},
# flipped by `npm run ml -- publish NAME --target cloudflare`.
resource "cloudflare_workers_kv_namespace" "model_pointer" {
  account_id = var.account_id
  title      = "${var.name_prefix}-model-pointer"
}

# The decision Worker's PostgreSQL (decision log, policies, API keys) through Hyperdrive.
# Caching off: policies and keys must be read fresh, and writes are never cached anyway.
resource "cloudflare_hyperdrive_config" "decision_db" {
  account_id = var.account_id
  name       = "${var.name_prefix}-decision-db"

  origin {
    scheme   = "postgres"
    host     = var.postgres_host
    port     = var.postgres_port
    database = var.postgres_database
    user     = var.postgres_user
    password = var.postgres_password
  }

  caching {
    disabled = true
  }
}
