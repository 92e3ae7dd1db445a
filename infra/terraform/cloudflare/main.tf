locals {
  forecast_name = "${var.name_prefix}-forecast"
  decision_name = "${var.name_prefix}-decision"
  # The forecast config's MODEL_SOURCE: the bundle exported to R2 (url:...), or the bundled one.
  model_source = var.model_bundle_url == "" ? "bundled" : "url:${var.model_bundle_url}"
}

# Model artifacts: exported bundles (bundle.json, model.json, ONNX, customer features) per version.
resource "cloudflare_r2_bucket" "model_artifacts" {
  account_id = var.account_id
  name       = "${var.name_prefix}-model-artifacts"
  location   = var.r2_location
}

# Which model version the workers serve: promotion writes the version here (key "production").
resource "cloudflare_workers_kv_namespace" "model_pointer" {
  account_id = var.account_id
  title      = "${var.name_prefix}-model-pointer"
}

resource "cloudflare_workers_script" "forecast" {
  account_id          = var.account_id
  name                = local.forecast_name
  content             = file(var.forecast_script_path)
  module              = true
  compatibility_date  = var.compatibility_date
  compatibility_flags = ["nodejs_compat"]

  plain_text_binding {
    name = "LOG_LEVEL"
    text = var.log_level
  }

  plain_text_binding {
    name = "MODEL_SOURCE"
    text = local.model_source
  }

  r2_bucket_binding {
    name        = "MODEL_ARTIFACTS"
    bucket_name = cloudflare_r2_bucket.model_artifacts.name
  }

  kv_namespace_binding {
    name         = "MODEL_POINTER"
    namespace_id = cloudflare_workers_kv_namespace.model_pointer.id
  }
}

resource "cloudflare_workers_script" "decision" {
  account_id          = var.account_id
  name                = local.decision_name
  content             = file(var.decision_script_path)
  module              = true
  compatibility_date  = var.compatibility_date
  compatibility_flags = ["nodejs_compat"]

  plain_text_binding {
    name = "LOG_LEVEL"
    text = var.log_level
  }

  # Only used without the binding below; the worker entry prefers the FORECAST binding.
  plain_text_binding {
    name = "FORECAST_URL"
    text = "https://${local.forecast_name}.workers.dev"
  }

  # decision -> forecast without a public hop (services/decision/src/entry/worker.ts).
  service_binding {
    name    = "FORECAST"
    service = cloudflare_workers_script.forecast.name
  }
}

# Custom domains on a zone (optional: without zone_id both answer on workers.dev only).
resource "cloudflare_worker_domain" "forecast" {
  count      = var.zone_id == "" ? 0 : 1
  account_id = var.account_id
  zone_id    = var.zone_id
  hostname   = "forecast.${var.zone_name}"
  service    = cloudflare_workers_script.forecast.name
}

resource "cloudflare_worker_domain" "decision" {
  count      = var.zone_id == "" ? 0 : 1
  account_id = var.account_id
  zone_id    = var.zone_id
  hostname   = "decision.${var.zone_name}"
  service    = cloudflare_workers_script.decision.name
}
