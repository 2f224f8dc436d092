"""The icasdk generator: OpenAPI document in, model and operation modules out."""
